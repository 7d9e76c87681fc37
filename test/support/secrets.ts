// The redaction contract, as data: every form of secret habitwatch must never let out
// (SECRET_CASES: command lines, environment assignments, URLs, token shapes, keys, shell
// strings), the string fields other than argv that can carry one (SECRET_VALUES), and
// ordinary command lines it must leave exactly as they are (NOT_SECRETS: a responder
// needs faithful evidence). Every secret is unique, so a test can search any output
// (database bytes, logs, API, stream, sink bodies, replay) for it.

export interface SecretCase {
  /** what form of secret this is (test titles, failure messages) */
  form: string;
  args: string[];
  /** the secret: must appear in no output */
  secret: string;
  /** what must remain visible after redaction (the shape a responder reads) */
  keeps: string;
}

// deterministic random secrets: each unique, each what a generator would produce
let seed = 0x5eed;
function rnd(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const B64URL = ALNUM + '-_';
function chars(n: number, alphabet = ALNUM): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}
/** a generated password: upper, lower, digits */
function gen(n = 16): string {
  return `${chars(1, 'ABCDEFGHJKLMNPQRSTUVWXYZ')}${chars(1, 'abcdefghijkmnopqrstuvwxyz')}${chars(1, '23456789')}${chars(n - 3)}`;
}
const WORDS = ['tulip', 'falcon', 'harbor', 'maple', 'orbit', 'quartz', 'meadow', 'cobalt', 'willow', 'ember', 'summit', 'glacier'];
/** a human password: a word and digits (caught by context, never by shape) */
function human(): string {
  return `${WORDS[Math.floor(rnd() * WORDS.length)]}${chars(4, '0123456789')}`;
}
const jwt = (): string => `eyJhbGciOiJSUzI1NiIsImtpZCI6Ik${chars(10, B64URL)}.eyJpc3MiOiJrdWJlcm5ldGVzL3Nl${chars(40, B64URL)}.${chars(43, B64URL)}`;

function c(form: string, args: string[], secret: string, keeps: string): SecretCase {
  return { form, args, secret, keeps };
}

function build(): SecretCase[] {
  const out: SecretCase[] = [];
  const add = (form: string, make: (s: string) => { args: string[]; keeps: string }, secret: string): void => {
    const { args, keeps } = make(secret);
    out.push(c(form, args, secret, keeps));
  };

  // --- database clients ---
  add('mysql -pPASSWORD (glued)', (s) => ({ args: ['mysql', '-uroot', `-p${s}`, 'shop'], keeps: '-p<redacted>' }), human());
  add('mysql -p PASSWORD', (s) => ({ args: ['mysql', '-u', 'root', '-p', s], keeps: '-p <redacted>' }), human());
  add('mysql --password=', (s) => ({ args: ['mysql', `--password=${s}`, '-h', 'db'], keeps: '--password=<redacted>' }), human());
  add('mysql --password PASSWORD', (s) => ({ args: ['/usr/bin/mysql', '--password', s], keeps: '--password <redacted>' }), human());
  add('mysql -p digits (a numeric password, not a port: -P is the port)', (s) => ({ args: ['mysql', `-p${s}`], keeps: '-p<redacted>' }), chars(8, '0123456789'));
  add('mysqldump -p', (s) => ({ args: ['mysqldump', '-uadmin', `-p${s}`, '--all-databases'], keeps: '-p<redacted>' }), human());
  add('mysqladmin password NEW', (s) => ({ args: ['mysqladmin', '-uroot', 'password', s], keeps: 'mysqladmin -uroot password <redacted>' }), human());
  add('mariadb -p', (s) => ({ args: ['mariadb', `-p${s}`, '-e', 'select 1'], keeps: '-p<redacted>' }), human());
  add('MYSQL_PWD env', (s) => ({ args: ['env', `MYSQL_PWD=${s}`, 'mysql', '-uroot'], keeps: 'MYSQL_PWD=<redacted>' }), human());
  add('psql PGPASSWORD env', (s) => ({ args: ['env', `PGPASSWORD=${s}`, 'psql', '-h', 'db', '-U', 'app'], keeps: 'PGPASSWORD=<redacted>' }), human());
  add('psql postgres:// URL', (s) => ({ args: ['psql', `postgres://svc:${s}@db:5432/app`], keeps: 'postgres://svc:<redacted>@db:5432/app' }), human());
  add('psql postgresql:// URL with options', (s) => ({ args: ['psql', `postgresql://app:${s}@db.internal/app?sslmode=require`], keeps: 'postgresql://app:<redacted>@db.internal/app?sslmode=require' }), gen());
  add('psql conninfo password=', (s) => ({ args: ['psql', `host=db user=app password=${s} dbname=app`], keeps: 'password=<redacted> dbname=app' }), human());
  add('pg_dump --dbname URL', (s) => ({ args: ['pg_dump', `--dbname=postgresql://backup:${s}@db/app`], keeps: 'postgresql://backup:<redacted>@db/app' }), gen());
  add('mongo mongodb:// URL', (s) => ({ args: ['mongo', `mongodb://admin:${s}@mongo-0,mongo-1/admin?replicaSet=rs0`], keeps: 'mongodb://admin:<redacted>@mongo-0' }), human());
  add('mongosh mongodb+srv:// URL', (s) => ({ args: ['mongosh', `mongodb+srv://app:${s}@cluster0.example.net/db`], keeps: 'mongodb+srv://app:<redacted>@cluster0.example.net/db' }), gen());
  add('mongosh -p', (s) => ({ args: ['mongosh', '-u', 'admin', '-p', s, '--authenticationDatabase', 'admin'], keeps: '-p <redacted>' }), human());
  add('mongodump --password', (s) => ({ args: ['mongodump', '--username', 'bk', '--password', s], keeps: '--password <redacted>' }), human());
  add('redis-cli -a', (s) => ({ args: ['redis-cli', '-a', s, '-h', 'cache'], keeps: '-a <redacted>' }), human());
  add('redis-cli -u redis://:pass@', (s) => ({ args: ['redis-cli', '-u', `redis://:${s}@cache:6379/0`], keeps: 'redis://:<redacted>@cache:6379/0' }), human());
  add('redis-cli --pass', (s) => ({ args: ['redis-cli', '--pass', s, 'ping'], keeps: '--pass <redacted>' }), human());
  add('REDISCLI_AUTH env', (s) => ({ args: ['sh', '-c', `REDISCLI_AUTH=${s} redis-cli -h cache info`], keeps: 'REDISCLI_AUTH=<redacted>' }), human());
  add('cqlsh -p', (s) => ({ args: ['cqlsh', '-u', 'cassandra', '-p', s, 'cass-0'], keeps: '-p <redacted>' }), human());
  add('clickhouse-client --password', (s) => ({ args: ['clickhouse-client', '--user', 'default', '--password', s], keeps: '--password <redacted>' }), human());
  add('sqlcmd -P', (s) => ({ args: ['sqlcmd', '-S', 'mssql', '-U', 'sa', '-P', s, '-Q', 'SELECT 1'], keeps: '-P <redacted>' }), human());
  add('influx -password (single-dash long option)', (s) => ({ args: ['influx', '-username', 'admin', '-password', s], keeps: '-password <redacted>' }), human());
  add('cypher-shell -p', (s) => ({ args: ['cypher-shell', '-u', 'neo4j', '-p', s], keeps: '-p <redacted>' }), human());
  add('jdbc URL with password parameter', (s) => ({ args: ['java', '-jar', 'migrate.jar', `jdbc:postgresql://db/app?user=app&password=${s}`], keeps: 'password=<redacted>' }), human());
  add('etcdctl --user user:pass', (s) => ({ args: ['etcdctl', '--user', `root:${s}`, 'get', '/'], keeps: 'root:<redacted>' }), human());
  add('etcdctl --password', (s) => ({ args: ['etcdctl', '--password', s, 'member', 'list'], keeps: '--password <redacted>' }), human());
  add('rabbitmqctl add_user', (s) => ({ args: ['rabbitmqctl', 'add_user', 'app', s], keeps: 'rabbitmqctl add_user app <redacted>' }), human());
  add('rabbitmqctl change_password', (s) => ({ args: ['rabbitmqctl', 'change_password', 'guest', s], keeps: 'change_password guest <redacted>' }), human());
  add('amqp:// URL', (s) => ({ args: ['worker', '--broker', `amqp://app:${s}@rabbit:5672/vhost`], keeps: 'amqp://app:<redacted>@rabbit:5672/vhost' }), human());
  add('ldapsearch -w', (s) => ({ args: ['ldapsearch', '-x', '-D', 'cn=admin,dc=example,dc=org', '-w', s, '-b', 'dc=example,dc=org'], keeps: '-w <redacted>' }), human());
  add('ldapmodify -w', (s) => ({ args: ['ldapmodify', '-D', 'cn=admin', '-w', s, '-f', 'x.ldif'], keeps: '-w <redacted>' }), human());

  // --- registries and logins ---
  add('docker login -p', (s) => ({ args: ['docker', 'login', '-u', 'deploy', '-p', s, 'registry.example.com'], keeps: 'login -u deploy -p <redacted> registry.example.com' }), human());
  add('docker login --password', (s) => ({ args: ['docker', 'login', '--username', 'deploy', '--password', s, 'ghcr.io'], keeps: '--password <redacted>' }), gen());
  add('docker login --password=', (s) => ({ args: ['docker', 'login', `--password=${s}`, 'quay.io'], keeps: '--password=<redacted>' }), human());
  add('podman login -p', (s) => ({ args: ['podman', 'login', '-u', 'ci', '-p', s, 'registry.local'], keeps: '-p <redacted>' }), human());
  add('buildah login -p', (s) => ({ args: ['buildah', 'login', '-u', 'ci', '-p', s, 'registry.local'], keeps: '-p <redacted>' }), human());
  add('skopeo login -p', (s) => ({ args: ['skopeo', 'login', '-u', 'ci', '-p', s, 'registry.local'], keeps: '-p <redacted>' }), human());
  add('helm registry login -p', (s) => ({ args: ['helm', 'registry', 'login', 'registry.local', '-u', 'ci', '-p', s], keeps: '-p <redacted>' }), human());
  add('echo PASS | docker login --password-stdin', (s) => ({ args: ['sh', '-c', `echo ${s} | docker login -u ci --password-stdin registry.local`], keeps: 'echo <redacted> | docker login -u ci --password-stdin registry.local' }), human());
  add('docker run -e DB_PASSWORD=', (s) => ({ args: ['docker', 'run', '-e', `DB_PASSWORD=${s}`, '-p', '8080:80', 'app:1.2'], keeps: 'DB_PASSWORD=<redacted> -p 8080:80' }), human());
  add('docker run --env POSTGRES_PASSWORD=', (s) => ({ args: ['docker', 'run', '--env', `POSTGRES_PASSWORD=${s}`, 'postgres:16'], keeps: 'POSTGRES_PASSWORD=<redacted>' }), human());
  add('htpasswd -b file user pass', (s) => ({ args: ['htpasswd', '-b', '/etc/nginx/.htpasswd', 'admin', s], keeps: 'htpasswd -b /etc/nginx/.htpasswd admin <redacted>' }), human());
  add('htpasswd -bc file user pass', (s) => ({ args: ['htpasswd', '-bc', '/etc/nginx/.htpasswd', 'admin', s], keeps: '-bc /etc/nginx/.htpasswd admin <redacted>' }), human());
  add('htpasswd -nbB user pass', (s) => ({ args: ['htpasswd', '-nbB', 'admin', s], keeps: 'htpasswd -nbB admin <redacted>' }), human());
  add('npm config set _authToken', (s) => ({ args: ['npm', 'config', 'set', `//registry.npmjs.org/:_authToken=${s}`], keeps: ':_authToken=<redacted>' }), `npm_${chars(36)}`);
  add('npm token shape', (s) => ({ args: ['sh', '-c', `echo "//npm.pkg.github.com/:_authToken=${s}" >> ~/.npmrc`], keeps: '_authToken=<redacted>' }), human());
  add('NPM_TOKEN env', (s) => ({ args: ['env', `NPM_TOKEN=${s}`, 'npm', 'publish'], keeps: 'NPM_TOKEN=<redacted>' }), gen(24));
  add('pip --index-url with credentials', (s) => ({ args: ['pip', 'install', '--index-url', `https://ci:${s}@pypi.internal/simple`, 'app'], keeps: 'https://ci:<redacted>@pypi.internal/simple' }), human());
  add('PyPI token', (s) => ({ args: ['twine', 'upload', '-u', '__token__', '-p', s, 'dist/*'], keeps: '-p pypi-<redacted>' }), `pypi-AgEIcHlwaS5vcmc${chars(60, B64URL)}`);
  add('Docker Hub PAT', (s) => ({ args: ['sh', '-c', `docker login -u me -p ${s}`], keeps: '-p <redacted>' }), `dckr_pat_${chars(27, B64URL)}`);

  // --- Vault and secret managers ---
  add('vault login hvs. token', (s) => ({ args: ['vault', 'login', s], keeps: 'vault login hvs.<redacted>' }), `hvs.${chars(24)}`);
  add('vault login legacy token', (s) => ({ args: ['vault', 'login', s], keeps: 'vault login <redacted>' }), `s.${chars(24)}`);
  add('vault login -method=userpass password=', (s) => ({ args: ['vault', 'login', '-method=userpass', 'username=ops', `password=${s}`], keeps: 'password=<redacted>' }), human());
  add('VAULT_TOKEN env', (s) => ({ args: ['env', `VAULT_TOKEN=${s}`, 'vault', 'kv', 'get', 'secret/app'], keeps: 'VAULT_TOKEN=<redacted>' }), `hvs.${chars(28)}`);
  add('vault kv put password=', (s) => ({ args: ['vault', 'kv', 'put', 'secret/db', `password=${s}`], keeps: 'password=<redacted>' }), human());
  add('vault operator unseal KEY', (s) => ({ args: ['vault', 'operator', 'unseal', s], keeps: 'vault operator unseal <redacted>' }), chars(44, ALNUM + '+/'));
  add('vault write -field secret_id', (s) => ({ args: ['vault', 'write', 'auth/approle/login', 'role_id=3f1a9c', `secret_id=${s}`], keeps: 'secret_id=<redacted>' }), `7f3e2a1b-9c8d-4e5f-a6b7-${chars(12, HEX)}`);
  add('X-Vault-Token header', (s) => ({ args: ['curl', '-H', `X-Vault-Token: ${s}`, 'https://vault:8200/v1/secret/x'], keeps: 'X-Vault-Token: <redacted>' }), gen(26));
  add('bw unlock PASSWORD', (s) => ({ args: ['bw', 'unlock', s], keeps: 'bw unlock <redacted>' }), human());
  add('kubectl create secret --from-literal', (s) => ({ args: ['kubectl', 'create', 'secret', 'generic', 'db', `--from-literal=password=${s}`], keeps: '--from-literal=password=<redacted>' }), human());
  add('kubectl create secret --from-literal (any key)', (s) => ({ args: ['kubectl', 'create', 'secret', 'generic', 'app', `--from-literal=DATABASE_URL_PART=${s}`], keeps: '--from-literal=DATABASE_URL_PART=<redacted>' }), human());
  add('kubectl create secret docker-registry --docker-password', (s) => ({ args: ['kubectl', 'create', 'secret', 'docker-registry', 'regcred', '--docker-username=ci', `--docker-password=${s}`], keeps: '--docker-password=<redacted>' }), human());

  // --- cloud CLIs ---
  add('AWS access key id', (s) => ({ args: ['aws', 'configure', 'set', 'aws_access_key_id', s], keeps: 'aws configure set aws_access_key_id AKIA<redacted>' }), `AKIA${chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`);
  add('AWS secret key via aws configure set', (s) => ({ args: ['aws', 'configure', 'set', 'aws_secret_access_key', s], keeps: 'aws configure set aws_secret_access_key <redacted>' }), chars(40, ALNUM + '/+'));
  add('AWS_SECRET_ACCESS_KEY env', (s) => ({ args: ['env', `AWS_SECRET_ACCESS_KEY=${s}`, 'aws', 's3', 'ls'], keeps: 'AWS_SECRET_ACCESS_KEY=<redacted>' }), chars(40, ALNUM + '/+'));
  add('AWS_SESSION_TOKEN env', (s) => ({ args: ['env', `AWS_SESSION_TOKEN=${s}`, 'aws', 'sts', 'get-caller-identity'], keeps: 'AWS_SESSION_TOKEN=<redacted>' }), `IQoJb3JpZ2luX2Vj${chars(80, ALNUM + '/+')}`);
  add('AWS STS temporary key id', (s) => ({ args: ['sh', '-c', `export AWS_ACCESS_KEY_ID=${s}; aws s3 cp x s3://b/`], keeps: 'AWS_ACCESS_KEY_ID=<redacted>' }), `ASIA${chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`);
  add('aws presigned URL signature', (s) => ({ args: ['curl', `https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${s}`], keeps: 'X-Amz-Signature=<redacted>' }), chars(64, HEX));
  add('gcloud --access-token-file is a path, --token value is not', (s) => ({ args: ['gcloud', 'auth', 'activate-refresh-token', '--token', s], keeps: '--token <redacted>' }), `1//0g${chars(60, B64URL)}`);
  add('Google OAuth access token', (s) => ({ args: ['curl', '-H', `Authorization: Bearer ${s}`, 'https://www.googleapis.com/storage/v1/b'], keeps: 'Authorization: Bearer ya29.<redacted>' }), `ya29.${chars(60, B64URL)}`);
  add('Google API key', (s) => ({ args: ['curl', `https://maps.googleapis.com/maps/api/geocode/json?address=x&key=${s}`], keeps: 'key=<redacted>' }), `AIza${chars(35, B64URL)}`);
  add('Google OAuth client secret', (s) => ({ args: ['app', '--client-secret', s], keeps: '--client-secret GOCSPX-<redacted>' }), `GOCSPX-${chars(28, B64URL)}`);
  add('gcloud sql users set-password --password', (s) => ({ args: ['gcloud', 'sql', 'users', 'set-password', 'app', '--instance=db', `--password=${s}`], keeps: '--password=<redacted>' }), human());
  add('az login -p', (s) => ({ args: ['az', 'login', '--service-principal', '-u', 'http://app', '-p', s, '--tenant', 'contoso.onmicrosoft.com'], keeps: '-p <redacted>' }), `${chars(3)}8Q~${chars(34, ALNUM + '_~.-')}`);
  add('az storage --account-key', (s) => ({ args: ['az', 'storage', 'blob', 'list', '--account-name', 'acct', '--account-key', s], keeps: '--account-key <redacted>' }), `${chars(86, ALNUM + '+/')}==`);
  add('Azure connection string AccountKey=', (s) => ({ args: ['app', '--conn', `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${s};EndpointSuffix=core.windows.net`], keeps: 'AccountKey=<redacted>;EndpointSuffix' }), `${chars(86, ALNUM + '+/')}==`);
  add('Azure SAS token sig=', (s) => ({ args: ['azcopy', 'copy', 'x', `https://acct.blob.core.windows.net/c?sv=2022-11-02&sp=rw&sig=${s}`], keeps: 'sig=<redacted>' }), `${chars(43, ALNUM + '%')}3D`);
  add('az --sas-token', (s) => ({ args: ['az', 'storage', 'blob', 'upload', '--sas-token', s], keeps: '--sas-token <redacted>' }), `sv=2022&sig=${chars(40)}`);
  add('DigitalOcean token', (s) => ({ args: ['doctl', 'auth', 'init', '-t', s], keeps: 'dop_v1_<redacted>' }), `dop_v1_${chars(64, HEX)}`);

  // --- Kubernetes ---
  add('kubectl --token=', (s) => ({ args: ['kubectl', `--token=${s}`, 'get', 'pods'], keeps: '--token=<redacted-jwt>' }), jwt());
  add('kubectl --token TOKEN', (s) => ({ args: ['kubectl', '--server', 'https://10.96.0.1', '--token', s, 'get', 'secrets', '-A'], keeps: '--token <redacted>' }), gen(40));
  add('kubectl config set-credentials --token', (s) => ({ args: ['kubectl', 'config', 'set-credentials', 'ci', `--token=${s}`], keeps: '--token=<redacted>' }), gen(32));
  add('kubectl config set-credentials --password', (s) => ({ args: ['kubectl', 'config', 'set-credentials', 'admin', '--username=admin', `--password=${s}`], keeps: '--password=<redacted>' }), human());
  add('kubeadm join --token', (s) => ({ args: ['kubeadm', 'join', '10.0.0.1:6443', '--token', s, '--discovery-token-ca-cert-hash', 'sha256:abc'], keeps: '--token <redacted>' }), `${chars(6, 'abcdefghijklmnopqrstuvwxyz0123456789')}.${chars(16, 'abcdefghijklmnopqrstuvwxyz0123456789')}`);
  add('service-account JWT anywhere', (s) => ({ args: ['curl', '-sk', '-H', `Authorization: Bearer ${s}`, 'https://kubernetes.default.svc/api/v1/namespaces'], keeps: 'Authorization: Bearer <redacted' }), jwt());
  add('helm --set password', (s) => ({ args: ['helm', 'install', 'db', 'bitnami/postgresql', '--set', `auth.postgresPassword=${s}`], keeps: 'auth.postgresPassword=<redacted>' }), human());
  add('helm --set-string token', (s) => ({ args: ['helm', 'upgrade', 'app', './chart', '--set-string', `slack.webhookToken=${s}`], keeps: 'slack.webhookToken=<redacted>' }), gen(24));

  // --- ssh, remote shells, file transfer ---
  add('sshpass -p', (s) => ({ args: ['sshpass', '-p', s, 'ssh', 'root@10.0.0.9'], keeps: 'sshpass -p <redacted> ssh root@10.0.0.9' }), human());
  add('sshpass -pPASS (glued)', (s) => ({ args: ['sshpass', `-p${s}`, 'scp', 'f', 'h:/tmp/'], keeps: '-p<redacted>' }), human());
  add('SSHPASS env', (s) => ({ args: ['env', `SSHPASS=${s}`, 'sshpass', '-e', 'ssh', 'h'], keeps: 'SSHPASS=<redacted>' }), human());
  add('plink -pw', (s) => ({ args: ['plink', '-ssh', 'admin@h', '-pw', s], keeps: '-pw <redacted>' }), human());
  add('ssh-keygen -N new passphrase', (s) => ({ args: ['ssh-keygen', '-t', 'ed25519', '-N', s, '-f', '/root/.ssh/id'], keeps: '-N <redacted>' }), human());
  add('ssh-keygen -P old passphrase', (s) => ({ args: ['ssh-keygen', '-p', '-P', s, '-N', '', '-f', 'id'], keeps: '-P <redacted>' }), human());
  add('smbclient -U user%pass', (s) => ({ args: ['smbclient', '//fs/share', '-U', `svc%${s}`], keeps: 'svc%<redacted>' }), human());
  add('mount.cifs -o password=', (s) => ({ args: ['mount', '-t', 'cifs', '//fs/share', '/mnt', '-o', `username=svc,password=${s},vers=3.0`], keeps: 'username=svc,password=<redacted>,vers=3.0' }), human());
  add('lftp -u user,pass', (s) => ({ args: ['lftp', '-u', `ftpuser,${s}`, 'ftp.example.com'], keeps: 'ftpuser,<redacted>' }), human());
  add('ftp:// URL', (s) => ({ args: ['wget', `ftp://anon:${s}@ftp.example.com/pub/file.tgz`], keeps: 'ftp://anon:<redacted>@ftp.example.com/pub/file.tgz' }), human());
  add('rsync RSYNC_PASSWORD', (s) => ({ args: ['sh', '-c', `RSYNC_PASSWORD=${s} rsync -a /data rsync://bk@backup/data`], keeps: 'RSYNC_PASSWORD=<redacted>' }), human());
  add('rsync:// URL with password', (s) => ({ args: ['rsync', '-a', `rsync://bk:${s}@backup/data`, '/data'], keeps: 'rsync://bk:<redacted>@backup/data' }), human());
  add('xfreerdp /p:', (s) => ({ args: ['xfreerdp', '/u:admin', `/p:${s}`, '/v:10.0.0.5'], keeps: '/u:admin <redacted> /v:10.0.0.5' }), human());
  add('impacket user:pass@host', (s) => ({ args: ['python3', 'secretsdump.py', `corp/admin:${s}@10.0.0.5`], keeps: 'corp/admin:<redacted>@10.0.0.5' }), human());
  add('crackmapexec -p', (s) => ({ args: ['crackmapexec', 'smb', '10.0.0.0/24', '-u', 'admin', '-p', s], keeps: '-p <redacted>' }), human());
  add('crackmapexec -H NTLM hash', (s) => ({ args: ['nxc', 'smb', '10.0.0.5', '-u', 'admin', '-H', s], keeps: '-H <redacted>' }), chars(32, HEX));
  add('evil-winrm -p', (s) => ({ args: ['evil-winrm', '-i', '10.0.0.5', '-u', 'admin', '-p', s], keeps: '-p <redacted>' }), human());

  // --- HTTP clients ---
  add('curl -u user:pass', (s) => ({ args: ['curl', '-u', `admin:${s}`, 'https://x.example'], keeps: 'admin:<redacted>' }), human());
  add('curl -uuser:pass (glued)', (s) => ({ args: ['curl', `-uadmin:${s}`, 'https://x.example'], keeps: '-uadmin:<redacted>' }), human());
  add('curl --user user:pass', (s) => ({ args: ['curl', '--user', `ops:${s}`, 'https://x.example'], keeps: 'ops:<redacted>' }), human());
  add('curl --user=user:pass', (s) => ({ args: ['curl', `--user=ops:${s}`, 'https://x.example'], keeps: '--user=ops:<redacted>' }), human());
  add('curl --proxy-user', (s) => ({ args: ['curl', '-x', 'http://proxy:3128', '--proxy-user', `p:${s}`, 'https://x'], keeps: 'p:<redacted>' }), human());
  add('curl -H Authorization: Bearer', (s) => ({ args: ['curl', '-H', `Authorization: Bearer ${s}`, 'https://api.example'], keeps: 'Authorization: Bearer <redacted>' }), gen(32));
  add('curl -H Authorization: Basic', (s) => ({ args: ['curl', '-H', `Authorization: Basic ${s}`, 'https://api.example'], keeps: 'Authorization: Basic <redacted>' }), Buffer.from(`admin:${human()}`).toString('base64'));
  add('curl -H X-Api-Key', (s) => ({ args: ['curl', '-H', `X-Api-Key: ${s}`, 'https://x'], keeps: 'X-Api-Key: <redacted>' }), gen(24));
  add('curl -H PRIVATE-TOKEN (GitLab)', (s) => ({ args: ['curl', '--header', `PRIVATE-TOKEN: ${s}`, 'https://gitlab.example/api/v4/projects'], keeps: 'PRIVATE-TOKEN: <redacted>' }), gen(20));
  add('curl -b cookie', (s) => ({ args: ['curl', '-b', `session=${s}`, 'https://app.example/admin'], keeps: '-b session=<redacted>' }), gen(32));
  add('curl -H Cookie:', (s) => ({ args: ['curl', '-H', `Cookie: theme=dark; session=${s}`, 'https://app.example/'], keeps: 'Cookie: <redacted>' }), gen(32));
  add('curl --oauth2-bearer', (s) => ({ args: ['curl', '--oauth2-bearer', s, 'https://api.example'], keeps: '--oauth2-bearer <redacted>' }), gen(30));
  add('curl -d password=', (s) => ({ args: ['curl', '-X', 'POST', '-d', `username=admin&password=${s}`, 'https://app.example/login'], keeps: 'username=admin&password=<redacted>' }), human());
  add('curl -d JSON password', (s) => ({ args: ['curl', '-d', `{"user":"admin","password":"${s}"}`, 'https://app.example/login'], keeps: '"password":"<redacted>"' }), human());
  add('curl URL with credentials', (s) => ({ args: ['curl', '-fsSL', `https://deploy:${s}@artifacts.example/app.tgz`], keeps: 'https://deploy:<redacted>@artifacts.example/app.tgz' }), human());
  add('curl access_token query', (s) => ({ args: ['curl', `https://api.example/v1/me?access_token=${s}&fields=id`], keeps: 'access_token=<redacted>&fields=id' }), gen(30));
  add('wget --password=', (s) => ({ args: ['wget', '--user=ops', `--password=${s}`, 'https://x/f'], keeps: '--password=<redacted>' }), human());
  add('wget --http-password', (s) => ({ args: ['wget', '--http-user', 'ops', '--http-password', s, 'https://x/f'], keeps: '--http-password <redacted>' }), human());
  add('wget --header Authorization', (s) => ({ args: ['wget', `--header=Authorization: token ${s}`, 'https://x/f'], keeps: 'Authorization: token <redacted>' }), gen(40));
  add('wget ?token=', (s) => ({ args: ['wget', `https://x.example/dl?token=${s}&x=1`], keeps: 'token=<redacted>&x=1' }), gen(20));
  add('httpie -a user:pass', (s) => ({ args: ['http', '-a', `admin:${s}`, 'GET', 'https://x'], keeps: 'admin:<redacted>' }), human());
  add('httpie header item', (s) => ({ args: ['http', 'POST', 'https://x', `Authorization:Bearer ${s}`], keeps: 'Authorization:Bearer <redacted>' }), gen(30));
  add('Slack webhook URL', (s) => ({ args: ['curl', '-X', 'POST', `https://hooks.slack.com/services/T0${chars(8)}/B0${chars(8)}/${s}`], keeps: 'hooks.slack.com/services/<redacted>' }), chars(24));
  add('Discord webhook URL', (s) => ({ args: ['curl', `https://discord.com/api/webhooks/1234567890/${s}`], keeps: 'discord.com/api/webhooks/1234567890/<redacted>' }), chars(68, B64URL));

  // --- openssl, gpg, archives, keystores ---
  add('openssl -passin pass:', (s) => ({ args: ['openssl', 'rsa', '-in', 'key.pem', '-passin', `pass:${s}`], keeps: '-passin pass:<redacted>' }), human());
  add('openssl -passout pass:', (s) => ({ args: ['openssl', 'pkcs12', '-export', '-in', 'c.pem', '-passout', `pass:${s}`], keeps: '-passout pass:<redacted>' }), human());
  add('openssl enc -pass pass:', (s) => ({ args: ['openssl', 'enc', '-aes-256-cbc', '-pass', `pass:${s}`, '-in', 'x'], keeps: '-pass pass:<redacted>' }), human());
  add('openssl enc -k', (s) => ({ args: ['openssl', 'enc', '-d', '-aes256', '-k', s, '-in', 'x.enc'], keeps: '-k <redacted>' }), human());
  add('openssl passwd PASSWORD', (s) => ({ args: ['openssl', 'passwd', '-6', s], keeps: 'openssl passwd -6 <redacted>' }), human());
  add('gpg --passphrase', (s) => ({ args: ['gpg', '--batch', '--passphrase', s, '-d', 'x.gpg'], keeps: '--passphrase <redacted>' }), human());
  add('gpg --passphrase=', (s) => ({ args: ['gpg', `--passphrase=${s}`, '-c', 'x'], keeps: '--passphrase=<redacted>' }), human());
  add('zip -P', (s) => ({ args: ['zip', '-r', '-P', s, 'out.zip', 'dir'], keeps: '-P <redacted>' }), human());
  add('7z -pPASS (glued)', (s) => ({ args: ['7z', 'x', `-p${s}`, 'a.7z'], keeps: '-p<redacted>' }), human());
  add('keytool -storepass', (s) => ({ args: ['keytool', '-list', '-keystore', 'ks.jks', '-storepass', s], keeps: '-storepass <redacted>' }), human());
  add('keytool -keypass', (s) => ({ args: ['keytool', '-genkey', '-alias', 'x', '-keypass', s], keeps: '-keypass <redacted>' }), human());
  add('java -D keyStorePassword', (s) => ({ args: ['java', `-Djavax.net.ssl.keyStorePassword=${s}`, '-jar', 'app.jar'], keeps: '-Djavax.net.ssl.keyStorePassword=<redacted>' }), human());
  add('java -D spring datasource password', (s) => ({ args: ['java', `-Dspring.datasource.password=${s}`, '-Dspring.profiles.active=prod', '-jar', 'app.jar'], keeps: '-Dspring.datasource.password=<redacted> -Dspring.profiles.active=prod' }), human());
  add('RSA private key (PEM)', (s) => ({ args: ['sh', '-c', `echo "-----BEGIN RSA PRIVATE KEY-----\n${s}\n-----END RSA PRIVATE KEY-----" > /tmp/k`], keeps: '<redacted-private-key>' }), `MIIEowIBAAKCAQEA${chars(60, ALNUM + '+/')}`);
  add('OpenSSH private key (PEM)', (s) => ({ args: ['printf', `-----BEGIN OPENSSH PRIVATE KEY-----\\n${s}\\n-----END OPENSSH PRIVATE KEY-----\\n`], keeps: '<redacted-private-key>' }), `b3BlbnNzaC1rZXktdjEAAAAA${chars(50, ALNUM + '+/')}`);
  add('EC private key cut off', (s) => ({ args: ['app', '--key-pem', `-----BEGIN EC PRIVATE KEY-----\n${s}`], keeps: '<redacted-private-key>' }), `MHcCAQEEI${chars(50, ALNUM + '+/')}`);
  add('PGP private key block', (s) => ({ args: ['sh', '-c', `cat <<EOF | gpg --import\n-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${s}\n-----END PGP PRIVATE KEY BLOCK-----\nEOF`], keeps: '<redacted-private-key>' }), `lQVYBGX${chars(60, ALNUM + '+/')}`);
  add('age secret key', (s) => ({ args: ['sh', '-c', `echo ${s} > key.txt`], keeps: 'AGE-SECRET-KEY-1<redacted>' }), `AGE-SECRET-KEY-1${chars(58, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`);

  // --- git ---
  add('git clone https://user:token@', (s) => ({ args: ['git', 'clone', `https://deploy:${s}@git.example/repo.git`], keeps: 'https://deploy:<redacted>@git.example/repo.git' }), gen(20));
  add('git clone https://TOKEN@github', (s) => ({ args: ['git', 'clone', `https://${s}@github.com/org/private.git`], keeps: 'https://ghp_<redacted>@github.com/org/private.git' }), `ghp_${chars(36)}`);
  add('git clone https://x-access-token:', (s) => ({ args: ['git', 'clone', `https://x-access-token:${s}@github.com/org/repo`], keeps: 'x-access-token:<redacted>@github.com' }), `ghs_${chars(36)}`);
  add('git clone https://oauth2:glpat@gitlab', (s) => ({ args: ['git', 'clone', `https://oauth2:${s}@gitlab.com/g/p.git`], keeps: 'oauth2:<redacted>@gitlab.com' }), `glpat-${chars(20, B64URL)}`);
  add('git remote set-url with token user', (s) => ({ args: ['git', 'remote', 'set-url', 'origin', `https://${s}@git.example/org/repo.git`], keeps: 'https://<redacted>@git.example/org/repo.git' }), gen(32));
  add('git -c http.extraHeader Authorization', (s) => ({ args: ['git', '-c', `http.extraHeader=Authorization: Basic ${s}`, 'fetch'], keeps: 'Authorization: Basic <redacted>' }), Buffer.from(`x-access-token:${gen(30)}`).toString('base64'));
  add('git config url insteadOf with token', (s) => ({ args: ['git', 'config', '--global', `url.https://ci:${s}@gitlab.example/.insteadOf`, 'https://gitlab.example/'], keeps: 'https://ci:<redacted>@gitlab.example/' }), gen(20));

  // --- token shapes anywhere ---
  add('GitHub classic PAT', (s) => ({ args: ['app', '--gh', s], keeps: 'ghp_<redacted>' }), `ghp_${chars(36)}`);
  add('GitHub OAuth token', (s) => ({ args: ['sh', '-c', `gh api user -H "Authorization: token ${s}"`], keeps: 'Authorization: token gho_<redacted>' }), `gho_${chars(36)}`);
  add('GitHub fine-grained PAT', (s) => ({ args: ['env', `GH_TOKEN=${s}`, 'gh', 'repo', 'list'], keeps: 'GH_TOKEN=<redacted>' }), `github_pat_${chars(22)}_${chars(59)}`);
  add('GitHub token in free text', (s) => ({ args: ['node', 'deploy.js', s], keeps: 'ghu_<redacted>' }), `ghu_${chars(36)}`);
  add('GitHub refresh token', (s) => ({ args: ['app', s], keeps: 'ghr_<redacted>' }), `ghr_${chars(36)}`);
  add('gh secret set --body', (s) => ({ args: ['gh', 'secret', 'set', 'DEPLOY_KEY', '--body', s], keeps: '--body <redacted>' }), human());
  add('GitLab PAT', (s) => ({ args: ['glab', 'auth', 'login', '--token', s], keeps: '--token glpat-<redacted>' }), `glpat-${chars(20, B64URL)}`);
  add('GitLab deploy token', (s) => ({ args: ['app', s], keeps: 'gldt-<redacted>' }), `gldt-${chars(24, B64URL)}`);
  add('GitLab runner token', (s) => ({ args: ['gitlab-runner', 'register', '--registration-token', s], keeps: '--registration-token glrt-<redacted>' }), `glrt-${chars(22, B64URL)}`);
  add('Slack bot token', (s) => ({ args: ['app', '--slack', s], keeps: 'xoxb-<redacted>' }), `xoxb-${chars(12, '0123456789')}-${chars(13, '0123456789')}-${chars(24)}`);
  add('Slack user token', (s) => ({ args: ['sh', '-c', `SLACK_TOKEN=${s} ./notify.sh`], keeps: 'SLACK_TOKEN=<redacted>' }), `xoxp-${chars(12, '0123456789')}-${chars(24)}`);
  add('Slack app token', (s) => ({ args: ['bot', s], keeps: 'xapp-<redacted>' }), `xapp-1-${chars(11)}-${chars(30)}`);
  add('Stripe live secret key', (s) => ({ args: ['curl', 'https://api.stripe.com/v1/charges', '-u', `${s}:`], keeps: 'sk_live_<redacted>' }), `sk_live_${chars(24)}`);
  add('Stripe restricted key', (s) => ({ args: ['app', s], keeps: 'rk_live_<redacted>' }), `rk_live_${chars(24)}`);
  add('Stripe test key in env', (s) => ({ args: ['env', `STRIPE_API_KEY=${s}`, 'node', 'pay.js'], keeps: 'STRIPE_API_KEY=<redacted>' }), `sk_test_${chars(24)}`);
  add('Stripe webhook secret', (s) => ({ args: ['stripe', 'listen', '--forward-to', 'localhost:3000', s], keeps: 'whsec_<redacted>' }), `whsec_${chars(32)}`);
  add('OpenAI key', (s) => ({ args: ['env', `OPENAI_API_KEY=${s}`, 'python3', 'bot.py'], keeps: 'OPENAI_API_KEY=<redacted>' }), `sk-proj-${chars(48, B64URL)}`);
  add('Anthropic key in free text', (s) => ({ args: ['python3', 'agent.py', '--llm-key', s], keeps: '--llm-key sk-ant-api03-<redacted>' }), `sk-ant-api03-${chars(60, B64URL)}`);
  add('SendGrid key', (s) => ({ args: ['mailer', s], keeps: 'SG.<redacted>' }), `SG.${chars(22, B64URL)}.${chars(43, B64URL)}`);
  add('Twilio API key', (s) => ({ args: ['twilio', s], keeps: 'SK<redacted>' }), `SK${chars(32, HEX)}`);
  add('Shopify token', (s) => ({ args: ['app', s], keeps: 'shpat_<redacted>' }), `shpat_${chars(32, HEX)}`);
  add('Databricks token', (s) => ({ args: ['databricks', 'fs', 'ls', s], keeps: 'dapi<redacted>' }), `dapi${chars(32, HEX)}`);
  add('Hugging Face token', (s) => ({ args: ['huggingface-cli', 'login', '--token', s], keeps: '--token hf_<redacted>' }), `hf_${chars(34, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')}`);
  add('Grafana service account token', (s) => ({ args: ['app', s], keeps: 'glsa_<redacted>' }), `glsa_${chars(32)}_${chars(8, HEX)}`);
  add('Atlassian API token', (s) => ({ args: ['jira', s], keeps: 'ATATT3<redacted>' }), `ATATT3x${chars(60, ALNUM + '_-')}`);
  add('Terraform Cloud token', (s) => ({ args: ['env', `TF_TOKEN_app_terraform_io=${s}`, 'terraform', 'init'], keeps: 'TF_TOKEN_app_terraform_io=<redacted>' }), `${chars(14)}.atlasv1.${chars(67)}`);
  add('JWT in an argument', (s) => ({ args: ['app', '--jwt', s], keeps: '--jwt <redacted-jwt>' }), jwt());
  add('JWT in a query string', (s) => ({ args: ['wget', `https://app.example/sso?id_token=${s}`], keeps: 'id_token=<redacted' }), jwt());

  // --- environment assignments ---
  add('DB_PASSWORD=… in sh -c', (s) => ({ args: ['sh', '-c', `DB_PASSWORD=${s} ./run.sh`], keeps: 'DB_PASSWORD=<redacted> ./run.sh' }), human());
  add('export SECRET_KEY=', (s) => ({ args: ['bash', '-c', `export SECRET_KEY=${s}; gunicorn app:app`], keeps: 'SECRET_KEY=<redacted>' }), gen(40));
  add('FOO_TOKEN=… cmd (env argv)', (s) => ({ args: ['env', `FOO_TOKEN=${s}`, 'cmd'], keeps: 'FOO_TOKEN=<redacted> cmd' }), human());
  add('API_KEY= quoted', (s) => ({ args: ['sh', '-c', `API_KEY="${s}" node server.js`], keeps: 'API_KEY="<redacted>"' }), gen(28));
  add('CLIENT_SECRET=', (s) => ({ args: ['env', `OAUTH_CLIENT_SECRET=${s}`, 'app'], keeps: 'OAUTH_CLIENT_SECRET=<redacted>' }), gen(32));
  add('DATABASE_URL with password', (s) => ({ args: ['env', `DATABASE_URL=postgres://app:${s}@db/app`, 'rails', 's'], keeps: 'DATABASE_URL=postgres://app:<redacted>@db/app' }), human());
  add('REDIS_URL with password', (s) => ({ args: ['env', `REDIS_URL=redis://default:${s}@cache:6379`, 'worker'], keeps: 'redis://default:<redacted>@cache:6379' }), gen(20));
  add('docker-compose style env in JSON', (s) => ({ args: ['sh', '-c', `echo '{"env":{"MINIO_ROOT_PASSWORD":"${s}"}}' > c.json`], keeps: '"MINIO_ROOT_PASSWORD":"<redacted>"' }), human());
  add('ansible -e become pass', (s) => ({ args: ['ansible-playbook', 'site.yml', '-e', `ansible_become_pass=${s}`], keeps: 'ansible_become_pass=<redacted>' }), human());
  add('terraform -var db_password=', (s) => ({ args: ['terraform', 'apply', '-var', `db_password=${s}`], keeps: 'db_password=<redacted>' }), human());
  add('TF_VAR_ secret', (s) => ({ args: ['env', `TF_VAR_admin_password=${s}`, 'terraform', 'plan'], keeps: 'TF_VAR_admin_password=<redacted>' }), human());
  add('YAML password: in a heredoc', (s) => ({ args: ['sh', '-c', `cat > cfg.yml <<EOF\ndb:\n  password: ${s}\nEOF`], keeps: 'password: <redacted>' }), human());
  add('mc alias set access and secret key', (s) => ({ args: ['mc', 'alias', 'set', 'minio', 'http://minio:9000', 'admin', s], keeps: 'http://minio:9000 admin <redacted>' }), gen(40));

  // --- generic options of ANY program (names and shapes) ---
  add('--password= of an unknown program', (s) => ({ args: ['myapp', `--password=${s}`], keeps: '--password=<redacted>' }), human());
  add('--db-password VALUE', (s) => ({ args: ['app', '--db-password', s], keeps: '--db-password <redacted>' }), human());
  add('--api-key=', (s) => ({ args: ['app', `--api-key=${s}`], keeps: '--api-key=<redacted>' }), gen(32));
  add('--pass VALUE', (s) => ({ args: ['app', '--pass', s], keeps: '--pass <redacted>' }), human());
  add('--secret VALUE', (s) => ({ args: ['app', '--secret', s], keeps: '--secret <redacted>' }), human());
  add('--token VALUE', (s) => ({ args: ['app', '--token', s], keeps: '--token <redacted>' }), gen(24));
  add('--auth-token=', (s) => ({ args: ['app', `--auth-token=${s}`], keeps: '--auth-token=<redacted>' }), gen(24));
  add('--access-key VALUE', (s) => ({ args: ['s3cmd', '--access-key', s, 'ls'], keeps: '--access-key AKIA<redacted>' }), `AKIA${chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`);
  add('--secret-key VALUE', (s) => ({ args: ['s3cmd', '--secret-key', s, 'ls'], keeps: '--secret-key <redacted>' }), chars(40, ALNUM + '/+'));
  add('--private-key= inline', (s) => ({ args: ['wg-tool', `--private-key=${s}`], keeps: '--private-key=<redacted>' }), `${chars(43, ALNUM + '+/')}=`);
  add('--key high-entropy value (any program)', (s) => ({ args: ['encryptor', '--key', s, 'file'], keeps: '--key <redacted> file' }), chars(64, HEX));
  add('--key= high-entropy value', (s) => ({ args: ['tool', `--key=${s}`], keeps: '--key=<redacted>' }), gen(32));
  add('--license-key', (s) => ({ args: ['agent', '--license-key', s], keeps: '--license-key <redacted>' }), chars(40, HEX));
  add('--passphrase', (s) => ({ args: ['restic', 'backup', '--passphrase', s], keeps: '--passphrase <redacted>' }), human());
  add('--secret-id (Vault AppRole)', (s) => ({ args: ['vault-agent', '--secret-id', s], keeps: '--secret-id <redacted>' }), `b2c4f1e0-${chars(4, HEX)}-4d3a-9e8f-${chars(12, HEX)}`);
  add('--tokenx prefix with high entropy', (s) => ({ args: ['app', '--token-value', s], keeps: '--token-value <redacted>' }), gen(30));
  add('--credentials user:pass', (s) => ({ args: ['tool', '--credentials', `svc:${s}`], keeps: '--credentials svc:<redacted>' }), human());
  add('--auth user:pass', (s) => ({ args: ['sqlmap', '-u', 'http://x/?id=1', '--auth-cred', `admin:${s}`], keeps: '--auth-cred <redacted>' }), human());
  add('-p high-entropy value (unknown program)', (s) => ({ args: ['mytool', '-p', s, 'host'], keeps: '-p <redacted> host' }), gen(16));
  add('-pVALUE glued high-entropy (unknown program)', (s) => ({ args: ['mytool', `-p${s}`], keeps: '-p<redacted>' }), gen(18));
  add('-a high-entropy value (unknown program)', (s) => ({ args: ['mycli', '-a', s, 'status'], keeps: '-a <redacted> status' }), gen(20));
  add('-u user:pass (unknown program)', (s) => ({ args: ['mytool', '-u', `admin:${s}`, 'run'], keeps: 'admin:<redacted>' }), human());
  add('-uuser:pass glued (unknown program)', (s) => ({ args: ['mytool', `-uadmin:${s}`], keeps: '-uadmin:<redacted>' }), gen(14));
  add('-pw single-dash long option', (s) => ({ args: ['pscp', '-pw', s, 'f', 'h:/x'], keeps: '-pw <redacted>' }), human());
  add('-password single-dash long option', (s) => ({ args: ['app', '-password', s], keeps: '-password <redacted>' }), human());
  add('--password after sudo', (s) => ({ args: ['sudo', '-u', 'postgres', 'app', '--password', s], keeps: '--password <redacted>' }), human());
  add('mysql after env and timeout wrappers', (s) => ({ args: ['env', 'LANG=C', 'timeout', '30', 'mysql', `-p${s}`], keeps: '-p<redacted>' }), human());
  add('redis-cli under nice', (s) => ({ args: ['nice', '-n', '10', 'redis-cli', '-a', s], keeps: '-a <redacted>' }), human());

  // --- shell strings (sh -c, ancestors' command lines) ---
  add('sh -c mysql -p', (s) => ({ args: ['sh', '-c', `mysql -uroot -p${s} db < dump.sql`], keeps: '-p<redacted> db < dump.sql' }), human());
  add('sh -c quoted password', (s) => ({ args: ['bash', '-c', `mysql -uroot -p'${s}' -e 'show databases'`], keeps: "-p<redacted> -e 'show databases'" }), `${human()} x`);
  add('sh -c curl -u in a pipeline', (s) => ({ args: ['sh', '-c', `curl -s -u admin:${s} https://x/api | jq .`], keeps: 'admin:<redacted>' }), human());
  add('sh -c sshpass after &&', (s) => ({ args: ['sh', '-c', `cd /tmp && sshpass -p ${s} ssh root@h 'id'`], keeps: 'sshpass -p <redacted> ssh' }), human());
  add('sh -c docker login in $(…)', (s) => ({ args: ['sh', '-c', `echo $(docker login -u ci -p ${s} reg.local)`], keeps: '-p <redacted>' }), human());
  add('sh -c htpasswd -b', (s) => ({ args: ['sh', '-c', `htpasswd -b /etc/.htpasswd admin ${s} && nginx -s reload`], keeps: 'admin <redacted> && nginx' }), human());
  add('sh -c vault login', (s) => ({ args: ['sh', '-c', `vault login ${s} >/dev/null; vault kv get secret/x`], keeps: 'vault login <redacted>' }), `hvs.${chars(26)}`);
  add('python -c with a password', (s) => ({ args: ['python3', '-c', `import pymysql; pymysql.connect(host="db", password="${s}")`], keeps: 'password="<redacted>"' }), human());
  add('printf PASS | chpasswd', (s) => ({ args: ['sh', '-c', `printf 'root:${s}' | chpasswd`], keeps: '<redacted>' }), human());
  add('echo user:pass | chpasswd', (s) => ({ args: ['sh', '-c', `echo "admin:${s}" | chpasswd`], keeps: 'echo "<redacted>" | chpasswd' }), human());
  add('proctitle with --password', (s) => ({ args: [`postgres: app app 10.0.0.5(5432) idle --password ${s}`], keeps: '--password <redacted>' }), human());

  return out;
}

export const SECRET_CASES: SecretCase[] = build();

/** argv as a shell would be given it (`sh -c …`, an ancestor's command line): single-quoted where needed */
export function shellLine(args: string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

/** fields other than argv that can carry a secret: a connect's DNS name, a cwd, ancestors */
export interface SecretValue {
  form: string;
  field: 'dns' | 'cwd' | 'ancestor';
  value: string;
  secret: string;
}

export const SECRET_VALUES: SecretValue[] = (() => {
  const pw = gen(14);
  const tok = `ghp_${chars(36)}`;
  const anc = human();
  const dnsPw = human();
  return [
    { form: 'user:pass@ in a DNS value', field: 'dns', value: `admin:${dnsPw}@db.internal`, secret: dnsPw },
    { form: 'URL with credentials in a DNS value', field: 'dns', value: `https://svc:${pw}@api.example.com`, secret: pw },
    { form: 'token in a cwd', field: 'cwd', value: `/tmp/build-${tok}`, secret: tok },
    { form: 'ancestor command line', field: 'ancestor', value: `mysql -uroot -p${anc} shop`, secret: anc },
  ];
})();

/** ordinary command lines: must come out exactly as they went in (the same array) */
export const NOT_SECRETS: string[][] = [
  ['ssh', '-p2222', 'host'],
  ['ssh', '-p', '2222', 'admin@10.0.0.5'],
  ['mkdir', '-p', '/var/lib/app'],
  ['nginx', '-g', 'daemon off;'],
  ['python3', '/app/tokenizer.py', '--passes=3'],
  ['java', '-Dspring.profiles.active=prod', '-jar', 'app.jar'],
  ['docker', 'run', '-p', '8080:80', '-u', '1000:1000', '-e', 'TZ=UTC', 'nginx:1.27'],
  ['podman', 'run', '-p', '127.0.0.1:5432:5432', '-u', 'postgres:postgres', 'postgres:16'],
  ['docker', 'compose', '-p', 'myproject', 'up', '-d'],
  ['docker', 'login', '-u', 'ci', '--password-stdin', 'registry.example.com'],
  ['kubectl', 'get', 'pods', '-o', 'wide', '-n', 'kube-system'],
  ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes'],
  ['kubectl', 'create', 'secret', 'generic', 'x', '--from-file=./secret.txt'],
  ['kubectl', 'get', 'secret', 'db', '-o', 'jsonpath={.data.password}'],
  ['kubectl', '--token-file', '/var/run/secrets/kubernetes.io/serviceaccount/token', 'get', 'pods'],
  ['curl', '-sSL', 'https://github.com/org/repo/releases/download/v1.2.3/app.tar.gz'],
  ['curl', '-H', 'Accept: application/json', 'https://api.example.com/v1/items?page=2&per_page=50'],
  ['curl', '-u', 'admin', 'https://x.example'],
  ['git', 'clone', 'https://github.com/org/repo.git'],
  ['git', 'clone', 'git@github.com:org/repo.git'],
  ['git', 'commit', '-a', '-m', 'Fix token refresh when the password changes'],
  ['git', 'log', '--author=alice', '--since=2.weeks'],
  ['git', '-c', 'credential.helper=store', 'push'],
  ['scp', 'file.txt', 'user@host:/tmp/'],
  ['tar', '-xzf', 'app.tgz', '-C', '/opt'],
  ['tar', '--exclude=.git', '-czf', 'x.tgz', '.'],
  ['sh', '-c', 'ls -la /tmp && echo done'],
  ['sh', '-c', 'cd /app && exec node server.js --port 8080'],
  ['bash', '-c', 'for i in 1 2 3; do echo "pass $i"; done'],
  ['python3', '-c', "print('hello world')"],
  ['psql', '-h', 'db', '-U', 'app', '-d', 'app', '-W'],
  ['mysql', '-u', 'root', '-h', 'db', '-P', '3306'],
  ['redis-cli', '-h', 'cache', '-p', '6379', 'ping'],
  ['find', '.', '-path', './node_modules', '-prune', '-o', '-name', '*.ts', '-print'],
  ['gcc', '-pthread', '-O2', '-o', 'app', 'main.c'],
  ['sort', '--key=2', '-u', 'file.txt'],
  ['openssl', 'x509', '-in', 'cert.pem', '-noout', '-text'],
  ['openssl', 'req', '-newkey', 'rsa:2048', '-keyout', 'key.pem', '-out', 'req.csr', '-nodes'],
  ['openssl', 'enc', '-d', '-aes256', '-in', 'x', '-pass', 'env:BACKUP_PASS'],
  ['openssl', 'pkcs12', '-in', 'x.p12', '-passin', 'file:/run/secrets/p12pass'],
  ['ssh-keygen', '-t', 'ed25519', '-f', '/root/.ssh/id_ed25519'],
  ['aws', 's3', 'ls', 's3://my-bucket/logs/'],
  ['aws', 'configure', 'list'],
  ['gcloud', 'config', 'set', 'project', 'my-project-123'],
  ['gcloud', 'auth', 'activate-service-account', '--key-file=/secrets/sa.json'],
  ['az', 'account', 'show', '--output', 'table'],
  ['helm', 'install', 'web', 'bitnami/nginx', '--set', 'image.tag=1.27.3', '--set', 'service.type=ClusterIP'],
  ['env', 'PATH=/usr/local/bin:/usr/bin', 'HOME=/root', 'PWD=/app', 'app'],
  ['node', '--max-old-space-size=4096', 'server.js'],
  ['ls', '-a', '/home'],
  ['uname', '-a'],
  ['ps', '-u', 'root', '-o', 'pid,cmd'],
  ['chown', '-R', 'app:app', '/data'],
  ['rsync', '-a', 'src/', 'dst/'],
  ['grep', '-r', 'password', '/etc/app'],
  ['echo', 'passwords must be at least 12 characters'],
  ['echo', 'basic configuration done'],
  ['ssh', '-o', 'PasswordAuthentication=no', '-o', 'StrictHostKeyChecking=yes', 'host'],
  ['ansible-playbook', '-i', 'inventory', 'site.yml', '--ask-become-pass'],
  ['ansible-playbook', '--ask-pass', 'site.yml'],
  ['terraform', 'apply', '-var', 'region=us-east-1', '-auto-approve'],
  ['gpg', '--recv-keys', '0x7EA0A9C3F273FCD8'],
  ['apt-key', 'adv', '--keyserver', 'hkps://keys.openpgp.org', '--recv-keys', '7EA0A9C3F273FCD8'],
  ['pip', 'install', '-i', 'https://pypi.org/simple', 'requests==2.32.3'],
  ['npm', 'config', 'set', 'registry', 'https://registry.npmjs.org/'],
  ['vault', 'kv', 'get', 'secret/app'],
  ['vault', 'status'],
  ['htpasswd', '-c', '/etc/nginx/.htpasswd', 'admin'],
  ['zip', '-r', 'out.zip', 'dir'],
  ['7z', 'x', 'archive.7z', '-o/tmp/out'],
  ['hydra', '-L', 'users.txt', '-P', 'passwords.txt', 'ssh://10.0.0.5'],
  ['patch', '-p1', '-i', 'fix.diff'],
  ['perl', '-pi', '-e', 's/foo/bar/g', 'file'],
  ['nc', '-l', '-p', '4444'],
  ['date', '-u', '+%H:%M:%S'],
  ['sqlcmd', '-S', 'mssql', '-U', 'sa', '-Q', 'SELECT 1'],
  ['ldapsearch', '-x', '-H', 'ldap://ldap', '-b', 'dc=example,dc=org'],
  ['app', '--token-ttl', '1h', '--auth-type=basic', '--secret-name', 'my-secret'],
  ['app', '--keep-alive', '--key-id', '0xDEADBEEF', '--key', '/etc/ssl/private/key.pem'],
  ['app', '--password-file', '/run/secrets/db-password', '--token-file=/var/run/token'],
  ['app', '--no-password', '-h', 'db'],
  ['curl', 'https://user@example.com/path'],
  ['ping', '-c', '3', 'db.internal'],
  ['journalctl', '-u', 'nginx.service', '--since', '10:30'],
  ['systemctl', 'restart', 'token-refresher.service'],
  ['cat', '/etc/passwd'],
  ['passwd', 'alice'],
  ['chmod', '600', '/root/.ssh/authorized_keys'],
  ['update-ca-certificates', '--fresh'],
  ['sh', '-c', 'echo "$DB_PASSWORD" | docker login -u ci --password-stdin reg.local'],
  ['sh', '-c', 'export PASSWORD_FILE=/run/secrets/pw; exec app'],
];
