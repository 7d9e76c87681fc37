#!/usr/bin/python3
# A small web service for the scenario suite: JSON endpoints over an SQLite database,
# an access log, and a host lookup that shells out (and, as such code so often does,
# builds its command line from the query: the way in for the suite's RCE attacks).
import http.server, json, os, socketserver, sqlite3, subprocess, sys, time, urllib.parse

HOST, PORT = sys.argv[1], int(sys.argv[2])
DATA = os.environ.get('DATA', '/tmp/web')
os.makedirs(DATA, exist_ok=True)
os.makedirs('/var/log/app', exist_ok=True)
db = sqlite3.connect(os.path.join(DATA, 'items.db'), check_same_thread=False)
db.execute('create table if not exists items (id integer primary key, name text, at real)')
db.commit()
log = open('/var/log/app/access.log', 'a', buffering=1)

class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        if u.path == '/':
            self.reply(200, {'ok': True, 'time': time.time()})
        elif u.path == '/items':
            rows = db.execute('select id, name from items order by id desc limit 20').fetchall()
            self.reply(200, {'items': rows})
        elif u.path == '/lookup':
            name = q.get('name', ['localhost'])[0]
            r = subprocess.run('getent hosts ' + name, shell=True, capture_output=True, text=True, timeout=20)
            self.reply(200, {'out': r.stdout})
        else:
            self.reply(404, {'error': 'not found'})

    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        name = self.rfile.read(n).decode(errors='replace')[:64]
        db.execute('insert into items (name, at) values (?, ?)', (name, time.time()))
        db.commit()
        self.reply(201, {'ok': True})

    def log_message(self, fmt, *args):
        log.write('%s - %s\n' % (self.address_string(), fmt % args))

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

Server((HOST, PORT), Handler).serve_forever()
