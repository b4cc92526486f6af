// auth-service: issues and checks bearer tokens, signed with HMAC-SHA256 so that any replica (and
// the same one after a restart) can check them.
//   POST /auth/login {"username": "ada"} → {"token": "…"}
//   GET  /auth/verify (Authorization: Bearer …) → {"username": "ada"} or 401
// The key is TOKEN_SIGNING_KEY (the CorePod takes it from the Secret dreamscape-auth). Without it
// (`corepod run` on a machine) a random key is made: tokens then last until the service restarts.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readJson, serve } from '../../lib/http-service.js';

const TOKEN_SECONDS = 3600;
const key = process.env.TOKEN_SIGNING_KEY || randomBytes(32).toString('base64');
if (!process.env.TOKEN_SIGNING_KEY) console.error('auth-service: TOKEN_SIGNING_KEY is not set; signing with a random key, tokens last until a restart');

const sign = (payload) => createHmac('sha256', key).update(payload).digest('base64url');

function issue(username) {
  const payload = Buffer.from(JSON.stringify({ sub: username, exp: Math.floor(Date.now() / 1000) + TOKEN_SECONDS })).toString('base64url');
  return `${payload}.${sign(payload)}`;
}

/** The username of a valid, unexpired token, else undefined. */
function check(token) {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(sign(payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  const { sub, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return typeof sub === 'string' && exp > Date.now() / 1000 ? sub : undefined;
}

serve({
  name: 'auth-service',
  port: Number(process.env.PORT ?? 3001),
  routes: {
    'POST /auth/login': async (request) => {
      const { username } = await readJson(request);
      if (typeof username !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(username)) return [400, { error: 'username: expected a-z, 0-9 and -' }];
      return [200, { token: issue(username) }];
    },
    'GET /auth/verify': async (request) => {
      const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      const username = token && check(token);
      return username ? [200, { username }] : [401, { error: 'missing, unknown or expired token' }];
    },
  },
});
