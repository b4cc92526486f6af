// auth-service: issues and checks bearer tokens (in memory).
//   POST /auth/login {"username": "ada"} → {"token": "…"}
//   GET  /auth/verify (Authorization: Bearer …) → {"username": "ada"} or 401
import { randomBytes } from 'node:crypto';
import { readJson, serve } from '../../lib/http-service.js';

const tokens = new Map();

serve({
  name: 'auth-service',
  port: Number(process.env.PORT ?? 3001),
  routes: {
    'POST /auth/login': async (request) => {
      const { username } = await readJson(request);
      if (typeof username !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(username)) return [400, { error: 'username: expected a-z, 0-9 and -' }];
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, username);
      return [200, { token }];
    },
    'GET /auth/verify': async (request) => {
      const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      const username = token && tokens.get(token);
      return username ? [200, { username }] : [401, { error: 'missing or unknown token' }];
    },
  },
});
