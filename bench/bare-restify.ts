/**
 * The ceiling for the SMS webhook on this machine: restify with the same body parser, answering
 * every POST /sms with empty TwiML at once (no signature, no dialog, no database). Prints its port.
 */
import restify from 'restify';

const server = restify.createServer({ name: 'bare', handleUncaughtExceptions: false });
server.post('/sms', restify.plugins.urlEncodedBodyParser({ mapParams: false, maxBodySize: 64 * 1024 } as restify.plugins.UrlEncodedBodyParserOptions), async (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
  res.end('<?xml version="1.0" encoding="UTF-8"?><Response/>');
});
server.listen(0, '127.0.0.1', () => console.log(String((server.address() as { port: number }).port)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
