// Validates AsyncAPI 3 and OpenAPI 3.1 documents (JSON files named on the command line) with
// the reference parsers: @asyncapi/parser (the AsyncAPI initiative's, the JSON Schema of the
// specification plus its Spectral rules, references resolved) and @apidevtools/swagger-parser
// (the OpenAPI 3.1 JSON Schema, then every $ref dereferenced). Which one reads a file is
// decided by its `asyncapi` or `openapi` member. The OpenAPI 3.1 schema leaves Schema Objects
// to their dialect, so each schema of an OpenAPI document is also checked against the JSON
// Schema 2020-12 meta-schema (ajv, the validator swagger-parser itself uses).
//
//   node validate.mjs FILE...            exit 0 when every file is valid
//   node validate.mjs --invalid FILE...  exit 0 when every file is refused (the self-check)
//
// Errors are printed with the validator's own messages; AsyncAPI warnings are printed too,
// but only diagnostics of error severity make a file invalid.

import { readFile } from 'node:fs/promises';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';

async function asyncapiProblems(text, file) {
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(text, { source: file });
  const problems = [];
  for (const d of diagnostics) {
    const where = (d.path || []).join('/');
    const line = `${file}: ${where}: ${d.message} [${d.code}]`;
    if (d.severity === DiagnosticSeverity.Error) problems.push(line);
    else console.log(`note (severity ${d.severity}): ${line}`);
  }
  if (document === undefined && problems.length === 0)
    problems.push(`${file}: the AsyncAPI parser returned no document`);
  return problems;
}

// Every Schema Object of the document where the catalogue writes them: the components, the
// request bodies and the header parameters.
function openapiSchemas(document) {
  const found = Object.entries(document.components?.schemas ?? {})
    .map(([name, schema]) => [`components/schemas/${name}`, schema]);
  for (const [name, item] of Object.entries(document.webhooks ?? {}))
    for (const [method, op] of Object.entries(item)) {
      const where = `webhooks/${name}/${method}`;
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
        found.push([`${where}/requestBody/content/${type}/schema`, media.schema]);
      for (const p of op.parameters ?? []) found.push([`${where}/parameters/${p.name}`, p.schema]);
    }
  return found;
}

async function openapiProblems(document, file) {
  const ajv = new Ajv2020({ strict: false });
  const problems = [];
  for (const [where, schema] of openapiSchemas(document))
    if (!ajv.validateSchema(schema))
      problems.push(`${file}: ${where}: ${ajv.errorsText(ajv.errors)}`);
  if (problems.length > 0) return problems;
  try {
    // validate() checks the document against the OpenAPI 3.1 schema, then dereferences it.
    await SwaggerParser.validate(structuredClone(document));
    return [];
  } catch (e) {
    return [`${file}: ${e.message}`];
  }
}

async function problemsOf(file) {
  const text = await readFile(file, 'utf8');
  const document = JSON.parse(text);
  if (typeof document.asyncapi === 'string') return asyncapiProblems(text, file);
  if (typeof document.openapi === 'string') return openapiProblems(document, file);
  return [`${file}: neither an AsyncAPI nor an OpenAPI document`];
}

const args = process.argv.slice(2);
const expectInvalid = args[0] === '--invalid';
const files = expectInvalid ? args.slice(1) : args;
if (files.length === 0) {
  console.error('usage: node validate.mjs [--invalid] FILE...');
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const problems = await problemsOf(file);
  for (const p of problems) console.log(p);
  if (expectInvalid && problems.length === 0) {
    console.log(`${file}: accepted, but it is broken: the validator checks nothing`);
    ++failed;
  } else if (!expectInvalid && problems.length > 0) {
    ++failed;
  } else {
    console.log(`${file}: ${expectInvalid ? 'refused, as it must be' : 'valid'}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
