// Runs @cloud-copilot/iam-simulate on every case read as one JSON array from stdin and prints one
// JSON array of answers: {result: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied", ignored: [...]}
// or {error: ...}. argv[2] is the npm prefix the package was installed into.
'use strict';
const path = require('path');
const sim = require(path.join(process.argv[2], 'node_modules/@cloud-copilot/iam-simulate/dist/cjs/index.js'));

async function run(c) {
  const simulation = {
    request: {
      principal: c.principal === null ? sim.anonymousPrincipal : c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.owner },
      contextVariables: c.context,
    },
    identityPolicies: c.identityPolicies.map((policy, i) => ({ name: `identity${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  if (c.resourcePolicy) simulation.resourcePolicy = c.resourcePolicy;
  const answer = await sim.runSimulation(simulation, {});
  if (answer.resultType === 'error') return { error: answer.errors };
  return { result: answer.overallResult, ignored: answer.result ? answer.result.ignoredContextKeys : [] };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  const out = [];
  for (const c of JSON.parse(input)) out.push(await run(c));
  process.stdout.write(JSON.stringify(out));
});
