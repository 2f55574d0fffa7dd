// Driver of the npm package ioc-extractor for iocbench (see main.go).
//   node extract.cjs throughput <corpus file> <passes>
//     times extractIOC over the documents of the file (separated by \x1e)
//     after one warm-up pass and prints {bytes, seconds, cpu_seconds, found}.
//   node extract.cjs label < cases.jsonl
//     prints {id, ioc} for each {id, text} line of standard input.
'use strict';
const fs = require('fs');
const readline = require('readline');
const { extractIOC } = require('ioc-extractor');

function count(r) {
  let n = 0;
  for (const k of Object.keys(r)) n += r[k].length;
  return n;
}

function throughput(file, passes) {
  const docs = fs.readFileSync(file, 'utf8').split('\x1e');
  let size = 0;
  for (const d of docs) size += Buffer.byteLength(d, 'utf8');
  for (const d of docs) extractIOC(d); // warm-up: let the JIT compile
  let found = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage(); // user+system of the whole process, all threads
  for (let p = 0; p < passes; p++) {
    for (const d of docs) found += count(extractIOC(d));
  }
  const c1 = process.cpuUsage(c0);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu_seconds = (c1.user + c1.system) / 1e6;
  process.stdout.write(JSON.stringify({ bytes: size * passes, seconds, cpu_seconds, found }) + '\n');
}

async function label() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const c = JSON.parse(line);
    process.stdout.write(JSON.stringify({ id: c.id, ioc: extractIOC(c.text) }) + '\n');
  }
}

const [mode, file, passes] = process.argv.slice(2);
if (mode === 'throughput') {
  throughput(file, Number(passes || 3));
} else if (mode === 'label') {
  label();
} else {
  console.error('usage: extract.cjs throughput <file> <passes> | label');
  process.exit(2);
}
