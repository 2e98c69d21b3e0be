import { Query, Resolver } from 'type-graphql';
import { PersonaType, toPersonaType } from './persona.type.ts';
import type { PersonaSet } from './persona-set.ts';

@Resolver()
export class PersonaResolver {
  constructor(private readonly set: PersonaSet) {}

  @Query(() => [PersonaType], { description: 'The personas that review every proposal, with their weights.' })
  personas(): PersonaType[] {
    return this.set.personas.map((p) => toPersonaType(p));
  }
}
