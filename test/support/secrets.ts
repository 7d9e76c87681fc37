// A corpus of command lines carrying secrets. Each secret value is unique so a test
// can search any output (database file, logs, alerts) for it.
export interface SecretCase {
  args: string[];
  secret: string;
  /** what must remain visible after redaction */
  keeps: string;
}

export const SECRET_CASES: SecretCase[] = [
  { args: ['mysql', '-uroot', '-pS3cr3tPw0rdA1'], secret: 'S3cr3tPw0rdA1', keeps: '-p<redacted>' },
  { args: ['mysql', '-u', 'root', '-p', 'S3cr3tPw0rdA2'], secret: 'S3cr3tPw0rdA2', keeps: '-p' },
  { args: ['app', '--password=hunter2hunter2A3'], secret: 'hunter2hunter2A3', keeps: '--password=<redacted>' },
  { args: ['app', '--db-password', 'hunter2hunter2A4'], secret: 'hunter2hunter2A4', keeps: '--db-password' },
  { args: ['app', '--api-key=ak_live_A5A5A5A5A5A5'], secret: 'ak_live_A5A5A5A5A5A5', keeps: '--api-key=<redacted>' },
  { args: ['curl', '-H', 'Authorization: Bearer tok_A6A6A6A6A6A6A6A6', 'https://api.example'], secret: 'tok_A6A6A6A6A6A6A6A6', keeps: 'Authorization: Bearer <redacted>' },
  { args: ['curl', '-u', 'admin:PassA7PassA7', 'https://x'], secret: 'PassA7PassA7', keeps: 'admin:<redacted>' },
  { args: ['git', 'clone', 'https://deploy:glpatA8A8A8A8@git.example/repo.git'], secret: 'glpatA8A8A8A8', keeps: 'https://deploy:<redacted>@git.example/repo.git' },
  { args: ['env', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYA9A9A9A9', 'aws', 's3', 'ls'], secret: 'wJalrXUtnFEMIK7MDENGbPxRfiCYA9A9A9A9', keeps: 'AWS_SECRET_ACCESS_KEY=<redacted>' },
  { args: ['sh', '-c', 'DB_PASSWORD=pwB1B1B1B1 ./run.sh'], secret: 'pwB1B1B1B1', keeps: 'DB_PASSWORD=<redacted>' },
  {
    args: ['app', '--jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJCMkIyQjJCMiJ9.c2lnQjJCMkIyQjJCMkIy'],
    secret: 'eyJzdWIiOiJCMkIyQjJCMiJ9',
    keeps: '--jwt',
  },
  { args: ['sh', '-c', 'echo "-----BEGIN RSA PRIVATE KEY-----\nMIIB3B3B3B3keymaterial\n-----END RSA PRIVATE KEY-----" > k'], secret: 'MIIB3B3B3B3keymaterial', keeps: '<redacted-private-key>' },
  { args: ['wget', 'https://x.example/dl?token=tkB4B4B4B4B4&x=1'], secret: 'tkB4B4B4B4B4', keeps: 'token=<redacted>&x=1' },
  { args: ['app', '--token', 'ghp_B5B5B5B5B5B5B5B5B5B5B5B5B5B5B5B5B5B5'], secret: 'ghp_B5B5B5B5B5B5B5B5B5B5B5B5B5B5B5B5B5B5', keeps: '--token' },
  { args: ['sshpass', '-pB6B6sshpw', 'ssh', 'host'], secret: 'B6B6sshpw', keeps: '-p<redacted>' },
  { args: ['psql', 'postgres://svc:pgB7B7B7B7@db:5432/app'], secret: 'pgB7B7B7B7', keeps: 'postgres://svc:<redacted>@db:5432/app' },
  { args: ['aws', 'configure', 'set', 'aws_access_key_id', 'AKIAB8B8B8B8B8B8B8B8'], secret: 'AKIAB8B8B8B8B8B8B8B8', keeps: 'aws_access_key_id' },
  { args: ['curl', '-H', 'X-Api-Key: xkB9B9B9B9B9', 'https://x'], secret: 'xkB9B9B9B9B9', keeps: 'X-Api-Key: <redacted>' },
  { args: ['redis-cli', '-a', 'C1C1redispw', '-h', 'cache'], secret: 'C1C1redispw', keeps: '-a <redacted>' },
  { args: ['app', '--pass', 'C2C2apppw2'], secret: 'C2C2apppw2', keeps: '--pass' },
];

/** things that look a bit like secrets but are not: must stay untouched */
export const NOT_SECRETS: string[][] = [
  ['ssh', '-p2222', 'host'],
  ['mkdir', '-p', '/var/lib/app'],
  ['nginx', '-g', 'daemon off;'],
  ['python3', '/app/tokenizer.py', '--passes=3'],
  ['java', '-Dspring.profiles.active=prod', '-jar', 'app.jar'],
  ['mysql', '-p3306'],
];
