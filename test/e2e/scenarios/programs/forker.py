#!/usr/bin/python3
# A service that forks helpers with varying arguments and temp names: sorts and counts
# batches in temp files, bundles them into a uniquely named archive, stamps the time.
import os, subprocess, tempfile, time, uuid, random

os.makedirs('/tmp/bundles', exist_ok=True)
n = 0
while True:
    n += 1
    fd, path = tempfile.mkstemp(prefix='batch.', suffix='.txt')
    with os.fdopen(fd, 'w') as f:
        for _ in range(random.randint(5, 50)):
            f.write('%d\n' % random.randint(0, 1000))
    subprocess.run(['sort', '-n', '-u', '-o', path + '.sorted', path], check=True)
    subprocess.run('wc -l < %s > %s.count' % (path + '.sorted', path), shell=True, check=True)
    if n % 3 == 0:
        subprocess.run(['tar', 'czf', '/tmp/bundles/bundle-%s.tgz' % uuid.uuid4().hex[:12], '-C', os.path.dirname(path), os.path.basename(path) + '.sorted'], check=True)
    subprocess.run(['date', '+%s%N'], stdout=subprocess.DEVNULL, check=True)
    for p in (path, path + '.sorted', path + '.count'):
        os.unlink(p)
    if n % 9 == 0:
        for b in sorted(os.listdir('/tmp/bundles'))[:-5]:
            os.unlink(os.path.join('/tmp/bundles', b))
    time.sleep(1)
