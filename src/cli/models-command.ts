import { Command } from 'commander';
import { KERNEL_FEATURES, type KernelFeature } from '../sim/kernel-features';
import { loadCatalogue } from '../sim/kernel-catalogue';
import { MODELS, modelForKernel } from '../sim/models';
import type { CliIo } from './cli-error';
import { textTable } from './text-table';

interface ModelsOptions {
  kernel?: string;
  catalogue: boolean;
  json: boolean;
}

/** `spinwise models [--kernel RELEASE] [--json]` */
export function modelsCommand(io: CliIo): Command {
  return new Command('models')
    .description('list the models and the kernel features they reproduce, or place one kernel release')
    .option('--kernel <release>', 'a `uname -r` string: print its model, its features and why')
    .option('--catalogue', 'the kernels an operator can install (scenarios/kernels.yaml), each placed', false)
    .option('--json', 'print one JSON document instead of tables', false)
    .addHelpText(
      'after',
      '\nExamples:\n  spinwise models\n  spinwise models --kernel 6.12.13-200.fc41.x86_64\n  spinwise models --kernel 5.14.0-427.el9.x86_64 --json\n  spinwise models --catalogue',
    )
    .action((options: ModelsOptions) => {
      if (options.kernel) place(options.kernel, options, io);
      else if (options.catalogue) catalogue(options, io);
      else list(options, io);
    });
}

function place(kernel: string, options: ModelsOptions, io: CliIo): void {
  const match = modelForKernel(kernel);
  const doc = { kernel, model: match.model.name, features: match.features, reasons: match.reasons };
  if (options.json) {
    io.out(`${JSON.stringify(doc)}\n`);
    return;
  }
  io.out(`${kernel}: ${match.model.name}\n${match.reason}\n\n`);
  for (const reason of match.reasons) io.out(`  - ${reason}\n`);
}

function catalogue(options: ModelsOptions, io: CliIo): void {
  const cat = loadCatalogue();
  if (options.json) {
    io.out(`${JSON.stringify(cat)}\n`);
    return;
  }
  io.out(`Kernels an operator can install, as of ${cat.date} (scenarios/kernels.yaml):\n\n`);
  io.out(
    textTable(
      ['kernel', 'release', 'model', 'placed by', 'install'],
      cat.kernels.map((k) => [k.title, k.release, k.model, k.assumed ? 'assumption' : 'version', k.install]),
    ),
  );
  io.out('\nWhy each is placed where it is: spinwise models --kernel RELEASE; evidence: --json\n');
}

function list(options: ModelsOptions, io: CliIo): void {
  const models = MODELS.map((m) => ({
    name: m.name,
    since: m.since.join('.'),
    features: m.features,
    description: m.description,
  }));
  const features = KERNEL_FEATURES.map((f) => ({
    id: f.id,
    title: f.title,
    mainline: mainlineOf(f),
    stable: f.stable.map((b) => `${b.series.join('.')}.${b.from}`),
    commit: f.commit,
    modelled: f.modelled,
  }));
  if (options.json) {
    io.out(`${JSON.stringify({ models, features })}\n`);
    return;
  }
  io.out(
    textTable(
      ['model', 'since', 'features', 'description'],
      models.map((m) => [m.name, m.since, m.features.join(', ') || '–', m.description]),
    ),
  );
  io.out('\n');
  io.out(
    textTable(
      ['feature', 'mainline', 'stable', 'modelled', 'commit'],
      features.map((f) => [
        f.id,
        f.mainline,
        f.stable.join(', ') || '–',
        f.modelled ? 'yes' : 'no',
        f.commit,
      ]),
    ),
  );
  io.out('\nA release maps to the model with its features: spinwise models --kernel RELEASE\n');
  io.out(
    'A stock model plus modelled features is a model too — what a patch series would do on a node:\n' +
      '  spinwise simulate SCENARIO --model stock-6.14+base-slice-0.70+semantics-aware\n',
  );
}

/** Where a feature stands upstream: its release, the guest's releases, or a series not merged. */
function mainlineOf(f: KernelFeature): string {
  if (!f.mainline) return 'patch, not merged';
  const since = f.mainline.join('.');
  const range = f.reverted ? `${since}, reverted ${f.reverted.join('.')}` : since;
  return f.side === 'guest' ? `guest ${range}` : range;
}
