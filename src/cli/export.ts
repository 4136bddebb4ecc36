import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { parseIndex } from './snapshot.js';

interface ExportOptions {
  output?: string;
  rootfs?: boolean;
  snapshot?: string;
  index?: number;
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      "write a service's container to a tar: as an image (for docker load) or, with --rootfs, its filesystem",
    )
    .argument('<service>', 'service to export')
    .requiredOption('-o, --output <file>', 'tar file to write')
    .option('--rootfs', "the container's filesystem only (for docker import)")
    .option(
      '--snapshot <tag>',
      'an existing snapshot of the service (berth snapshot --tag) instead of the container',
    )
    .option('--index <n>', 'replica to export (default: 1)', parseIndex)
    .action(async (service: string, opts: ExportOptions, cmd: Command) => {
      const { serviceTarget } = await import('./snapshot.js');
      const { checkTag } = await import('../stacks/snapshots.js');
      const { snapshotRepo } = await import('../model/index.js');
      const { resolve } = await import('node:path');
      if (opts.rootfs && opts.snapshot) throw badInput('--rootfs and --snapshot exclude each other');
      if (opts.snapshot !== undefined) checkTag(opts.snapshot);
      const index = opts.index;
      const file = resolve(opts.output!);
      const target = await serviceTarget(cmd, service);
      const [{ opContext }, { exportContainerImage, exportRootfs, saveImage }] = await Promise.all([
        import('./lifecycle.js'),
        import('../ops/snapshot.js'),
      ]);
      const docker = await opContext();
      const ref = { project: target.project, service, index };
      if (opts.rootfs) {
        await exportRootfs(docker, ref, file);
        process.stderr.write(
          `wrote the filesystem of ${target.project}/${service} to ${file} (docker import)\n`,
        );
      } else if (opts.snapshot !== undefined) {
        const image = `${snapshotRepo(target.project, service)}:${opts.snapshot}`;
        await saveImage(docker, image, file);
        process.stderr.write(`wrote ${image} to ${file} (docker load)\n`);
      } else {
        const snap = await exportContainerImage(
          docker,
          { ...ref, stack: target.stack.name, client: target.stack.client },
          file,
        );
        process.stderr.write(
          `wrote ${target.project}/${service} as image ${snap.ref} to ${file} (docker load)\n`,
        );
      }
    });
}
