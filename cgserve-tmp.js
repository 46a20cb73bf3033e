// Serves the app like main.ts and writes the keys and one user's auraId to $OUT (for load generation).
require('reflect-metadata');
const { writeFileSync } = require('node:fs');
const { createApp, listen } = require('./dist/bootstrap');
const { ApiKeysService } = require('./dist/api-keys/api-keys.service');
(async () => {
  const app = await createApp();
  await listen(app);
  const keys = app.get(ApiKeysService);
  const internal = (await keys.create({ name: 'p', tier: 'internal' })).key;
  const kernel = (await keys.create({ name: 'k', tier: 'kernel', channel: 'web' })).key;
  const url = `http://127.0.0.1:${process.env.PORT}`;
  const created = await fetch(`${url}/users/aura-id?channel=web&userId=u1&authorizationId=a1&phoneNumber=%2B34600000001`, { headers: { 'x-api-key': kernel } });
  const { auraId } = await created.json();
  writeFileSync(process.env.OUT, JSON.stringify({ internal, kernel, auraId, url }));
})();
