// The GraphQL-over-HTTP server audit of the npm `graphql-http` package (the
// reference implementation of the specification), against a live relgate.
//
//   RELGATE_URL=http://127.0.0.1:8080/graphql [RELGATE_TOKEN=...] node audit/graphql-http.mjs
//
// Every MUST and SHOULD audit has to pass; MAY audits are listed, not
// required (relgate answers a request with no `query` under
// `application/json` with 200 and an error, as before the specification's
// watershed; with `application/graphql-response+json` it is 400).
import { serverAudits } from 'graphql-http';

const url = process.env.RELGATE_URL;
if (!url) {
  console.error('audit: FAIL - set RELGATE_URL (e.g. http://127.0.0.1:8080/graphql)');
  process.exit(2);
}
const token = process.env.RELGATE_TOKEN;
// Every audit request carries the token, when the server requires one.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const counts = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
const failures = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const level = audit.name.split(' ')[0];
  const result = await audit.fn();
  const ok = result.status === 'ok';
  const bucket = counts[level] ?? (counts[level] = [0, 0]);
  bucket[ok ? 0 : 1]++;
  const mark = ok ? 'ok  ' : level === 'MAY' ? 'note' : 'FAIL';
  console.log(`  ${mark} ${audit.id} ${audit.name}${ok ? '' : ` - ${result.reason}`}`);
  if (!ok && level !== 'MAY') failures.push(`${audit.id} ${audit.name}`);
}
const summary = Object.entries(counts)
  .map(([level, [passed, failed]]) => `${level} ${passed}/${passed + failed}`)
  .join(', ');
if (failures.length) {
  console.log(`audit: FAILED - ${failures.length} MUST/SHOULD audits fail (${summary})`);
  process.exit(1);
}
console.log(`audit: OK - every MUST and SHOULD passes (${summary})`);
