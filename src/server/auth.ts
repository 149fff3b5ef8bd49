/**
 * Who a request acts for (`Authorization: Bearer <token>`), and the JSON body of an error: shared
 * by the app (app.ts) and the direct push path (push-listener.ts).
 */
import { SkeinError, ErrorCode } from '../errors.js';
import type { ServerStorage } from './server-storage.js';

/** An error as the server answers it: `{ error: { code, message, details? } }`. */
export function errorBody(e: SkeinError) {
  return { error: { code: e.code, message: e.message, ...(e.details && { details: e.details }) } };
}

/** The workspace and user of a request's `Authorization: Bearer <token>`, or the 401 error saying why not. */
export async function authorize(storage: ServerStorage, auth = ''): Promise<{ workspace: string; user: string } | SkeinError> {
  const m = /^Bearer\s+(\S+)$/i.exec(auth);
  const tok = m ? await storage.tokenOf(m[1]!) : undefined;
  if (tok?.workspace) return { workspace: tok.workspace, user: tok.user };
  const scheme = /^(\S+)/.exec(auth)?.[1];
  const why = m ? 'invalid token' : scheme ? `the ${JSON.stringify(scheme.slice(0, 20))} authorization scheme is not supported: send Authorization: Bearer <token>` : 'missing bearer token (send Authorization: Bearer <token>)';
  return new SkeinError(ErrorCode.UNAUTHORIZED, why);
}
