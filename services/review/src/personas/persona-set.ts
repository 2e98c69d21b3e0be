import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

export interface Persona {
  id: string;
  name: string;
  /** Relative weight in the decision (> 0). */
  weight: number;
  instructions: string;
  version: string;
}

export interface PersonaSet {
  /** Stored with every run and review made under this set. */
  version: string;
  personas: Persona[];
}

/** The five default personas (see the file for what each looks at). */
export const DEFAULT_PERSONAS_PATH = join(import.meta.dirname, 'personas.yaml');

const personaSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lowercase letters, digits or dashes'),
  name: z.string().min(1).max(80),
  weight: z.number().positive().max(100),
  instructions: z.string().min(1).max(4000),
  version: z.coerce.string().min(1).max(40),
});

const setSchema = z
  .object({
    version: z.string().min(1).max(80),
    personas: z.array(personaSchema).min(1).max(20),
  })
  .refine((set) => new Set(set.personas.map((p) => p.id)).size === set.personas.length, {
    message: 'persona ids must be unique',
    path: ['personas'],
  });

/** Reads and checks a persona set; an invalid file fails with every problem and where it is. */
export function loadPersonaSet(path = DEFAULT_PERSONAS_PATH): PersonaSet {
  const parsed = setSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new Error(`persona set ${path} is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}
