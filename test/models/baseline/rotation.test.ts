// The benign churn the issue saw alert (issue 13): a rotated log renamed to a number
// beyond those seen while learning, and cache files named by a hash.
import { learnThenStable, none, testEngine, write } from '../../support/events.ts';
import { randomBytes } from 'node:crypto';

describe('rotation and hash names after learning', () => {
  it('renames of a rotated log beyond the numbers learned do not alert', () => {
    const e = testEngine();
    const learn = [write('/var/log/app/access.log', 'create')];
    for (let n = 2; n >= 1; n--) learn.push(write(`/var/log/app/access.log.${n}`, 'rename', {}, `/var/log/app/access.log.${n + 1}`));
    learn.push(write('/var/log/app/access.log', 'rename', {}, '/var/log/app/access.log.1'));
    learn.push(write('/var/log/app/access.log.2.gz', 'create'));
    const t = learnThenStable(e, learn);
    none(e, write('/var/log/app/access.log.3', 'rename', {}, '/var/log/app/access.log.4'), t);
    none(e, write('/var/log/app/access.log.4', 'rename', {}, '/var/log/app/access.log.5'), t + 1);
    none(e, write('/var/log/app/access.log.7.gz', 'create'), t + 2);
  });

  it('new cache files named by a hash do not alert', () => {
    const e = testEngine();
    const t = learnThenStable(e, [write(`/var/cache/app/${randomBytes(20).toString('hex')}.json`, 'create')]);
    for (let i = 0; i < 20; i++) none(e, write(`/var/cache/app/${randomBytes(20).toString('hex')}.json`, 'create'), t + i);
  });
});
