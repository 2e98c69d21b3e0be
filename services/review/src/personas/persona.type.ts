import { Field, Float, ObjectType } from 'type-graphql';
import type { Persona } from './persona-set.ts';

@ObjectType('Persona', { description: 'A reviewer on the panel: what it looks at and how much it counts.' })
export class PersonaType {
  @Field(() => String)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Float, { description: 'Relative weight in the decision.' })
  weight!: number;

  @Field(() => String)
  instructions!: string;

  @Field(() => String)
  version!: string;
}

export const toPersonaType = (p: Persona): PersonaType => Object.assign(new PersonaType(), p);
