// A plain Node.js SSE client (node's own http module, no Skein code), for ResumableStreamsNodeIT.
// It reads the stream as the SSE specification says (lines, "id:", "data:", blank line ends an
// event, ":" a comment) and resumes as an EventSource does: on a drop it reconnects with the
// Last-Event-ID header set to the id of the last event it received.
//
//   node sse-client.mjs resume <port> <path> <turns> <dropOneIn>
//     prints {"id":..,"type":..,"turnId":..} per event, {"reconnect":n} per drop; exits after
//     <turns> completed frames
//   node sse-client.mjs idle <port> <path> <count>
//     opens <count> streams; prints {"open":count} once every one has its head, then
//     {"completed":count} once every one has received a completed frame
import http from 'node:http';

const [mode, port, path, arg1, arg2] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

function connect(lastEventId, onEvent, onHead, onEnd) {
  const headers = { Accept: 'text/event-stream' };
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  const req = http.get({ host: '127.0.0.1', port: Number(port), path, headers, agent }, (res) => {
    if (res.statusCode !== 200) {
      console.error(`status ${res.statusCode}`);
      process.exit(2);
    }
    onHead();
    res.setEncoding('utf8');
    let buffer = '';
    let id = null;
    let data = [];
    res.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (data.length > 0) onEvent({ id, data: data.join('\n') }, req);
          id = null;
          data = [];
        } else if (line.startsWith(':')) {
          // a heartbeat
        } else if (line.startsWith('id:')) {
          id = line.slice(3).trim();
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).trim());
        }
      }
    });
    res.on('end', () => onEnd());
    res.on('error', () => onEnd());
  });
  req.on('error', () => onEnd());
  return req;
}

if (mode === 'resume') {
  const turns = Number(arg1);
  const dropOneIn = Number(arg2);
  let last = null;
  let completed = 0;
  let reconnects = 0;
  const open = () => {
    let dropped = false;
    connect(last, (event, req) => {
      if (dropped) return;
      const frame = JSON.parse(event.data);
      if (event.id) last = event.id;
      console.log(JSON.stringify({ id: event.id, type: frame.type, turnId: frame.turnId }));
      if (frame.type === 'completed' && ++completed >= turns) process.exit(0);
      if (Math.random() * dropOneIn < 1) {
        dropped = true;
        req.destroy();
        console.log(JSON.stringify({ reconnect: ++reconnects }));
        setTimeout(open, 10);
      }
    }, () => {}, () => { if (!dropped) { dropped = true; setTimeout(open, 100); } });
  };
  open();
} else if (mode === 'idle') {
  const count = Number(arg1);
  let heads = 0;
  let completed = 0;
  for (let i = 0; i < count; i++) {
    let done = false;
    connect(null, (event) => {
      const frame = JSON.parse(event.data);
      if (!done && frame.type === 'completed') {
        done = true;
        if (++completed === count) {
          console.log(JSON.stringify({ completed }));
          process.exit(0);
        }
      }
    }, () => {
      if (++heads === count) console.log(JSON.stringify({ open: heads }));
    }, () => {
      if (!done) {
        console.error('a stream ended before its completion');
        process.exit(3);
      }
    });
  }
} else {
  console.error('usage: sse-client.mjs resume|idle ...');
  process.exit(1);
}
