// user-service: user profiles (in memory); /users/me asks auth-service who the caller is.
//   GET /users → the list;  GET /users/ada → one;  GET /users/me (Authorization: Bearer …)
import { serve } from '../../lib/http-service.js';

const AUTH_URL = process.env.AUTH_URL ?? 'http://127.0.0.1:3001';
const users = new Map(
  [
    { username: 'ada', name: 'Ada Lovelace' },
    { username: 'grace', name: 'Grace Hopper' },
  ].map((user) => [user.username, user]),
);

serve({
  name: 'user-service',
  port: Number(process.env.PORT ?? 3002),
  routes: {
    'GET /users': async () => [200, [...users.values()]],
    'GET /users/*': async (request, { rest }) => {
      let username = rest;
      if (rest === 'me') {
        const answer = await fetch(`${AUTH_URL}/auth/verify`, {
          headers: { authorization: request.headers.authorization ?? '' },
          signal: AbortSignal.timeout(2000),
        });
        if (answer.status !== 200) return [401, { error: 'not logged in' }];
        username = (await answer.json()).username;
      }
      const user = users.get(username) ?? { username, name: username };
      return users.has(username) || rest === 'me' ? [200, user] : [404, { error: `no user ${username}` }];
    },
  },
});
