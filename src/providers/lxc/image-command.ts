/**
 * `stacklab image build [name]` and `stacklab image list`: the local runtime's base images.
 * The lead mounts `imageCommand()` on the CLI.
 */
import { Command } from 'commander';
import { buildImage, IMAGE_CATALOG, listImages } from './images.ts';
import { canBuildImages } from './host-check.ts';
import { parseLxcOptions } from './options.ts';

export function imageCommand(): Command {
  const image = new Command('image').description('Base images of the local runtime (LXC): build and list');
  image
    .command('build')
    .description('Build a base image with debootstrap (about a minute; needs root and network to the Debian mirror)')
    .argument('[name]', `image to build (${Object.keys(IMAGE_CATALOG).join(', ')})`, 'debian-12')
    .option('--data-dir <dir>', 'where the lxc runtime keeps its images', process.env.STACKLAB_LXC_DATA_DIR)
    .option('--mirror <url>', 'Debian mirror')
    .option('--force', 'rebuild even if the image exists')
    .action(async (name: string, opts: { dataDir?: string; mirror?: string; force?: boolean }) => {
      const check = canBuildImages();
      if (!check.ok) {
        console.error(`Cannot build images: ${check.reason}`);
        process.exitCode = 1;
        return;
      }
      if (process.getuid?.() !== 0) {
        console.error('Cannot build images: debootstrap needs root; run this command as root.');
        process.exitCode = 1;
        return;
      }
      const settings = parseLxcOptions({ ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), ...(opts.mirror ? { mirror: opts.mirror } : {}) });
      try {
        const info = await buildImage(settings, name, { force: opts.force, onProgress: (line) => console.log(`[image ${name}] ${line}`) });
        console.log(`${info.name}: ${info.rootfs}`);
      } catch (err) {
        console.error(`Image build failed: ${(err as Error).message}`);
        process.exitCode = 1;
      }
    });
  image
    .command('list')
    .description('List the catalog and which images are built')
    .option('--data-dir <dir>', 'where the lxc runtime keeps its images', process.env.STACKLAB_LXC_DATA_DIR)
    .option('--json', 'print JSON')
    .action(async (opts: { dataDir?: string; json?: boolean }) => {
      const images = await listImages(parseLxcOptions(opts.dataDir ? { dataDir: opts.dataDir } : {}));
      if (opts.json) console.log(JSON.stringify(images, null, 2));
      else for (const i of images) console.log(`${i.built ? '✓' : '·'} ${i.name.padEnd(12)} ${i.built ? `built ${i.builtAt ?? ''}` : 'not built'}  ${i.description}`);
    });
  return image;
}
