import t from 'tap';
import { join, resolve } from 'node:path';
import { storePath } from '../../src/log/store-path.js';

t.test('a path is used as given; a bare name goes under LOGKV_DIR', async (t) => {
  t.equal(storePath('/var/lib/app/store'), '/var/lib/app/store');
  t.equal(storePath('./rel/store'), './rel/store');
  t.equal(storePath('orders', { LOGKV_DIR: '/srv/kv' }), '/srv/kv/orders');
  t.equal(storePath('orders', {}), join(resolve('./data'), 'orders'));
});

t.test('names that are not names, or would leave the root, are refused', async (t) => {
  for (const bad of ['', '.', '..', 'a b', 'über', 'x\u0000']) {
    t.throws(() => storePath(bad, { LOGKV_DIR: '/srv/kv' }), { code: 'INVALID_ARGUMENT' }, JSON.stringify(bad));
  }
});
