/** The importers by source name: one folder per source agent behind the one contract. */
import { ampImporter } from './amp/index.js';
import { claudeCodeImporter } from './claude-code/index.js';
import { clineImporter } from './cline/index.js';
import { codexImporter } from './codex/index.js';
import { opencodeImporter } from './opencode/index.js';
import { skeinImporter } from './skein/index.js';
import type { Importer } from './types.js';

/** Every importer, by its source name. */
export const IMPORTERS: ReadonlyMap<string, Importer> = new Map([claudeCodeImporter, codexImporter, opencodeImporter, clineImporter, ampImporter, skeinImporter].map((i) => [i.agent, i] as const));
