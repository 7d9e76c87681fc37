// What some programs' short options and positional arguments mean: `mysql -pX` is a
// password where `ssh -p 22` is a port, `docker login -p X` a password where `docker run
// -p 80:80` is a port, `htpasswd -b f user PASS`, `vault login TOKEN`. Everything not in
// this table is judged by the option's name (names.ts) and the value's shape (shape.ts).

/** how the value of a short option is a secret for a program */
export const enum Short {
  /** the value is a password */
  Secret = 1,
  /** the value is `user:password` (or user%password, user,password): the part after the separator */
  UserPass = 2,
  /** the value is a cookie string */
  Cookie = 3,
}

export interface Program {
  /** short option letter → meaning (also glued: -pVALUE, unless glued is false) */
  short: Partial<Record<string, Short>>;
  /** long options whose value is a secret although their name does not say so */
  long?: Partial<Record<string, Short>>;
  /** false: single-dash words are long options (openssl -keyout), never -k + eyout */
  glued?: boolean;
  /** only when one of these words is in argv (docker login -p, not docker run -p) */
  when?: string[];
  /** indices of positional secrets, given the words after the program */
  positional?(words: string[]): number[];
}

const DB: Program = { short: { p: Short.Secret } };
const LOGIN: Program = { short: { p: Short.Secret, u: Short.UserPass }, when: ['login'] };
const HTTP: Program = { short: { u: Short.UserPass, U: Short.UserPass, b: Short.Cookie } };
const LDAP: Program = { short: { w: Short.Secret } };
const SQLSERVER: Program = { short: { P: Short.Secret } };
const REDIS: Program = { short: { a: Short.Secret } };
const SMB: Program = { short: { U: Short.UserPass } };
const ATTACK: Program = { short: { p: Short.Secret, H: Short.Secret, u: Short.UserPass } };

/** indices (into words) of the words that are not options, after the first `start` words */
function positionals(words: string[], start = 0): number[] {
  const out: number[] = [];
  for (let i = start; i < words.length; i++) if (!words[i].startsWith('-') && !words[i].includes('=')) out.push(i);
  return out;
}

/** the positional argument(s) that follow a subcommand word */
function after(sub: string[], nth: number[]): (w: string[]) => number[] {
  return (w) => {
    const at = w.findIndex((x) => sub.includes(x));
    if (at < 0) return [];
    const pos = positionals(w, at + 1);
    return nth.map((n) => pos[n < 0 ? pos.length + n : n]).filter((i) => i !== undefined);
  };
}

export const PROGRAMS = new Map<string, Program>([
  ...['mysql', 'mysqldump', 'mysqladmin', 'mysqlimport', 'mysqlshow', 'mysqlcheck', 'mysqlpump', 'mysqlslap', 'mariadb', 'mariadb-dump', 'mariadb-admin', 'mariadb-import', 'mariadb-check'].map((n): [string, Program] => [
    n,
    { short: { p: Short.Secret }, positional: n === 'mysqladmin' || n === 'mariadb-admin' ? after(['password'], [0]) : undefined },
  ]),
  ['sshpass', DB],
  ...['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport', 'mongostat', 'mongotop', 'cqlsh', 'cypher-shell', 'rdesktop', 'evil-winrm', 'medusa', 'hydra'].map((n): [string, Program] => [n, DB]),
  ...['7z', '7za', '7zr', 'rar', 'unrar'].map((n): [string, Program] => [n, DB]),
  ...['crackmapexec', 'cme', 'netexec', 'nxc'].map((n): [string, Program] => [n, ATTACK]),
  ...['docker', 'podman', 'nerdctl', 'buildah', 'skopeo', 'helm', 'oras', 'crane', 'regctl', 'az', 'cf', 'oc', 'finch'].map((n): [string, Program] => [n, LOGIN]),
  ...['curl', 'wget', 'http', 'https', 'xh', 'ftp', 'ncftp', 'etcdctl', 'lftp'].map((n): [string, Program] => [n, n === 'http' || n === 'https' || n === 'xh' ? { short: { a: Short.UserPass } } : HTTP]),
  ...['smbclient', 'rpcclient', 'smbmap', 'smbcacls', 'net'].map((n): [string, Program] => [n, SMB]),
  ...['redis-cli', 'keydb-cli', 'valkey-cli'].map((n): [string, Program] => [n, REDIS]),
  ...['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldapwhoami', 'ldapcompare', 'ldapmodrdn', 'ldapexop', 'ldappasswd'].map((n): [string, Program] => [
    n,
    n === 'ldappasswd' ? { short: { w: Short.Secret, s: Short.Secret, a: Short.Secret } } : LDAP,
  ]),
  ...['sqlcmd', 'bcp', 'osql', 'isql', 'zip', 'unzip'].map((n): [string, Program] => [n, SQLSERVER]),
  ['ssh-keygen', { short: { P: Short.Secret, N: Short.Secret } }],
  ['openssl', { short: { k: Short.Secret }, glued: false, positional: after(['passwd'], [-1]) }],
  ['mkpasswd', { short: {}, positional: (w) => positionals(w).slice(0, 1) }],
  // htpasswd -b[cmBdpsD…] FILE USER PASSWORD, htpasswd -nb USER PASSWORD: the last positional
  ['htpasswd', { short: {}, positional: (w) => (w.some((x) => /^-[a-zA-Z]*b[a-zA-Z]*$/.test(x)) ? positionals(w).slice(-1) : []) }],
  // vault login TOKEN (not -method=… key=value), vault operator unseal KEY
  ['vault', { short: {}, positional: (w) => [...after(['login'], [0])(w), ...after(['unseal'], [0])(w)] }],
  ['rabbitmqctl', { short: {}, positional: after(['add_user', 'change_password'], [1]) }],
  // mc alias set NAME URL ACCESS_KEY SECRET_KEY (also the older mc config host add)
  ['mc', { short: {}, positional: after(['set', 'add'], [3]) }],
  ['bw', { short: {}, positional: (w) => [...after(['unlock'], [0])(w), ...after(['login'], [1])(w)] }],
  ['gh', { short: { b: Short.Secret }, long: { '--body': Short.Secret }, when: ['secret'] }],
  ['xfreerdp', { short: {}, positional: (w) => w.flatMap((x, i) => (/^[/-]p:/i.test(x) ? [i] : [])) }],
  ...['keytool', 'jarsigner', 'java', 'influx', 'xfreerdp-legacy'].map((n): [string, Program] => [n, { short: {}, glued: false }]),
]);

/** programs that run another program: the one after them (and their options) is what runs */
export const WRAPPERS = new Set(['env', 'sudo', 'doas', 'nohup', 'nice', 'ionice', 'timeout', 'exec', 'time', 'command', 'builtin', 'xargs', 'stdbuf', 'setsid', 'chroot', 'runuser', 'unbuffer', 'flock', 'taskset', 'chrt', 'busybox', 'tini', 'dumb-init', 'gosu', 'su-exec', 'catatonit', 'watch']);
/** interpreters: `python3 /usr/bin/http -a u:p`, `bash /usr/bin/az login -p X` run the script named next */
const INTERPRETER = /^(?:(?:ba|da|z|a|k)?sh|python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|php[0-9.]*)$/;
/** wrapper options that take a value (sudo -u USER, timeout -s SIG, nice -n N …) */
const WRAPPER_VALUE_OPTS = new Set(['-u', '-g', '-n', '-s', '-k', '-C', '-p', '-r', '-t', '-w', '-i', '-I', '-L', '-P', '-o', '-e', '-E', '--signal', '--kill-after', '--user', '--group', '--chdir', '--unset']);
/** python modules that are a CLI (`python3 -m azure.cli login -p …`) */
const MODULES = new Map([['azure.cli', 'az']]);

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

const isAssignment = (w: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w);
/** what a program name is: a wrapper (sudo, env …), an interpreter (sh, python3 …), or neither */
export function runnerKind(name: string): 'wrapper' | 'interpreter' | undefined {
  const b = basename(name);
  return WRAPPERS.has(b) ? 'wrapper' : INTERPRETER.test(b) ? 'interpreter' : undefined;
}

/** index of the word that is the program actually run (after env assignments, wrappers, interpreters) */
export function programIndex(words: string[]): number {
  let i = 0;
  while (i < words.length) {
    const w = words[i];
    if (isAssignment(w)) {
      i++;
      continue;
    }
    const b = basename(w);
    if (i === words.length - 1) return i;
    if (INTERPRETER.test(b)) {
      // the script it runs; `sh -c STRING` is a command string (redactCommand), not a program
      const next = words[i + 1];
      if (next === '-m' && i + 2 < words.length) return i + 2;
      if (next.startsWith('-') || next === '') return i;
      i++;
      continue;
    }
    if (!WRAPPERS.has(b)) return i;
    i++;
    // the wrapper's own options, and the numbers/durations some take positionally (timeout 5, chroot DIR)
    while (i < words.length) {
      const x = words[i];
      if (x === '--') {
        i++;
        break;
      }
      if (x.startsWith('-')) {
        i += WRAPPER_VALUE_OPTS.has(x) ? 2 : 1;
        continue;
      }
      if (isAssignment(x) || /^\d+(?:\.\d+)?[smhd]?$/.test(x) || (b === 'chroot' && x.startsWith('/'))) {
        i++;
        continue;
      }
      break;
    }
  }
  return Math.min(i, words.length - 1);
}

/** the table entry for a program name (a path, a module), before its `when` condition */
export function entryOf(name: string): Program | undefined {
  const b = basename(name);
  return PROGRAMS.get(MODULES.get(b) ?? b);
}

/** does the entry apply to this argv (docker login -p, not docker run -p)? */
export function applies(p: Program, words: string[]): boolean {
  return p.when === undefined || words.some((w) => p.when!.includes(w));
}

/** the program table entry that applies to this argv, if any */
export function programOf(name: string, words: string[]): Program | undefined {
  const p = entryOf(name);
  return p !== undefined && applies(p, words) ? p : undefined;
}
