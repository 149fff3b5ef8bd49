/** Visibility smoke case on a real `skein serve` over PostgreSQL (a schema of its own). */
import { createTestSchema, PG_SKIPPED, PG_URL } from '../helpers/postgres.js';
import { visibilityMatrix } from '../helpers/visibility-world.js';

if (!PG_SKIPPED)
  visibilityMatrix(
    'visibility on a PostgreSQL server',
    async () => {
      const s = await createTestSchema();
      return { choice: { db: PG_URL, schema: s.schema }, drop: () => s.drop() };
    },
    { full: false },
  );
