/**
 * `POST /v1/sync/push` taken straight from Node's request and response, in front of the Hono app:
 * the request every syncing device sends each round. Through the app it built a web Request, ran
 * three middlewares (metrics, auth, `compress`, which made the light Response a full one to read
 * its headers) and a Response; here it is the same auth, body limits, handler (push-route.ts),
 * errors, gzip and metrics as the app's route, without them. Every other request goes to the app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, SkeinError, fromUnknown, httpStatusOf } from '../errors.js';
import { PULL_CURSOR_HEADER } from '../sync/protocol.js';
import { authorize, errorBody } from './auth.js';
import type { Metrics } from './metrics.js';
import type { PushHandler } from './push-route.js';
import type { ServerStorage } from './server-storage.js';
import { BodyChunks, bodyEncoding, decodeJson, packAnswer } from './wire.js';

const ROUTE = '/v1/sync/push';

/** The request body, at most `maxBody` bytes (413 past that: `BodyChunks`). */
function readBody(req: IncomingMessage, maxBody: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = new BodyChunks(maxBody, req.headers['content-length']);
    req.on('data', (c: Buffer) => {
      try {
        body.add(c);
      } catch (err) {
        req.removeAllListeners('data');
        req.resume();
        reject(err);
      }
    });
    req.on('end', () => resolve(body.bytes()));
    req.on('error', reject);
    req.on('aborted', () => reject(new SkeinError(ErrorCode.NETWORK, 'the client went away')));
  });
}

/** Sends a JSON text packed as the app's answers are (`packAnswer`). */
async function send(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Record<string, string>): Promise<void> {
  const a = await packAnswer(text, req.headers['accept-encoding'], headers);
  res.writeHead(status, a.headers);
  res.end(a.body);
}

/** The listener: takes a push and answers true, or answers false for any other request. */
export function pushListener(deps: { storage: ServerStorage; metrics: Metrics; push: PushHandler; maxBody: number }): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { storage, metrics, push, maxBody } = deps;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    try {
      const who = await authorize(storage, req.headers.authorization);
      if (who instanceof SkeinError) {
        await send(req, res, 401, JSON.stringify(errorBody(who)), { 'www-authenticate': 'Bearer' });
        return 401;
      }
      const encoding = bodyEncoding(req.headers['content-encoding']);
      const body = await decodeJson(await readBody(req, maxBody), encoding, maxBody);
      const cursor = req.headers[PULL_CURSOR_HEADER];
      const answer = await push(who.workspace, who.user, body, typeof cursor === 'string' ? cursor : undefined);
      await send(req, res, answer.status, JSON.stringify(answer.body), answer.headers);
      return answer.status;
    } catch (err) {
      // A client that went away mid-request is not a server error: nobody reads the answer.
      if (req.destroyed && !req.complete) {
        res.destroy();
        return 499;
      }
      const e = fromUnknown(err);
      const status = (e.details?.status as number | undefined) ?? httpStatusOf(e.code);
      if (status >= 500) console.error(`skein serve: POST ${ROUTE}: ${e.message}`);
      const retryAfter = e.details?.retryAfterSeconds;
      await send(req, res, status, JSON.stringify(errorBody(e)), typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {});
      return status;
    }
  }

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== ROUTE) return false;
    const started = performance.now();
    void handle(req, res)
      .catch((err: unknown) => {
        console.error(`skein serve: POST ${ROUTE}: ${fromUnknown(err).message}`);
        res.destroy();
        return 500;
      })
      .then((status) => {
        metrics.inc('skein_http_requests_total', { route: ROUTE, status: String(status) });
        metrics.observe(ROUTE, (performance.now() - started) / 1000);
      });
    return true;
  };
}
