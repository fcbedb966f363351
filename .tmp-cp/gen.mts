process.env.BENCH_KEEP = '1';
const { generate } = await import('../bench/compile.ts');
await generate(process.argv[2]);
