// dockerode-compose (npm) as a peer CLI: `node .cache/bench/dcompose.mjs up|down FILE PROJECT`, one process per
// step like every other tool. It never pulls on `up` (only its separate pull() does), so the local image is used.
import Docker from 'dockerode';
// @ts-expect-error dockerode-compose ships no types
import Compose from 'dockerode-compose';

async function main([verb, file, project]: string[]): Promise<void> {
  if ((verb !== 'up' && verb !== 'down') || !file || !project) {
    process.stderr.write('usage: dcompose up|down FILE PROJECT\n');
    process.exit(2);
  }
  const compose = new Compose(new Docker(), file, project);
  if (verb === 'up') await compose.up();
  else await compose.down({ volumes: true });
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`dockerode-compose: ${err?.message ?? err}\n`);
  process.exit(1);
});
