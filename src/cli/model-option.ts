import { InvalidArgumentError, Option } from 'commander';
import { isModelName, MODELS } from '../sim/models';
import { didYouMean } from './did-you-mean';
import { parseList } from './options';

const NAMES = MODELS.map((m) => m.name);

/** A model name: one of MODELS, or a stock model with modelled features added (`stock-6.14+yield-forfeit`). */
function knownModel(name: string): string {
  if (!isModelName(name))
    throw new InvalidArgumentError(
      `unknown model "${name}"${didYouMean(name, NAMES)}; known: ${NAMES.join(', ')}.`,
    );
  return name;
}

/** `--model NAME`, checked against the models there are. */
export function modelOption(description: string): Option {
  return new Option('--model <name>', description).argParser(knownModel);
}

/** `--models a,b,…`, each checked. */
export function modelsOption(description: string): Option {
  return new Option('--models <a,b,...>', description).argParser((text) => parseList(text).map(knownModel));
}
