// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings under test are Compose interpolation syntax
// Interpolation as compose-go's template package does it (template/template.go and its tests): a `$` that
// starts no expression stays as written, braces inside a default are counted, defaults are used lazily.
import { describe, expect, test } from 'vitest';
import { InterpolationError, interpolate } from '../../src/compose/interpolate.js';
import { load, loadError } from './compose-helpers.js';

const env: Record<string, string> = { FOO: 'first', BAR: '' };
const lookup = (k: string) => (Object.hasOwn(env, k) ? env[k] : undefined);
const run = (s: string, unset: string[] = []) => interpolate(s, lookup, (n) => unset.push(n));

describe('a $ that starts no expression is left as written (compose-go TestUnescaped)', () => {
  test.each(['a $ string', '^REGEX$', '$}', '$', '$5', 'echo $1 $@ $? $-', 'now=$(date +%s)', 'cost: 10$'])(
    '%j',
    (s) => {
      expect(run(s)).toBe(s);
    },
  );
  test('next to real expressions', () => {
    expect(run('$(echo $FOO) ${FOO} $$HOME $5')).toBe('$(echo first) first $HOME $5');
  });
  test('a `${` that is not an expression is still an error (compose-go TestInvalid)', () => {
    for (const s of ['${', '${}', '${ }', '${ foo}', '${foo }', '${foo!}', '${1}', 'x ${FOO'])
      expect(() => run(s), s).toThrow(InterpolationError);
  });
});

describe('defaults', () => {
  test('nested defaults (compose-go TestDefaultsWithNestedExpansion)', () => {
    expect(run('ok ${UNSET_VAR-$FOO}')).toBe('ok first');
    expect(run('ok ${UNSET_VAR-${FOO} ${FOO}}')).toBe('ok first first');
    expect(run('ok ${BAR:-${FOO}}')).toBe('ok first');
    expect(run('ok ${BAR+$FOO ${FOO:+second}}')).toBe('ok first second');
    expect(run('ok ${BAR:-/non:-alphanumeric}')).toBe('ok /non:-alphanumeric');
  });
  test('a default is evaluated only when it is used', () => {
    expect(run('${FOO:-${MISSING:?must be set}}')).toBe('first');
    expect(run('${FOO-${MISSING?must be set}}')).toBe('first');
    expect(run('${MISSING:+${OTHER:?must be set}}')).toBe('');
    expect(() => run('${MISSING:-${OTHER:?must be set}}')).toThrow(
      'required variable OTHER is unset or empty: must be set',
    );
    const unset: string[] = [];
    run('${FOO:-${NOT_USED}} ${FOO:+${FOO},}', unset);
    expect(unset).toEqual([]);
  });
  test('braces inside a default are counted: no stray `}`', () => {
    expect(run('${FOO:-{"a":1}}')).toBe('first');
    expect(run('${MISSING:-{"a":1}}')).toBe('{"a":1}');
    expect(run('${MISSING:-{"a":{"b":2}}} tail')).toBe('{"a":{"b":2}} tail');
    expect(run('${FOO}}')).toBe('first}');
  });
  test('an unset variable inside a used default is reported', () => {
    const unset: string[] = [];
    expect(run('${MISSING:-${ALSO_MISSING}x}', unset)).toBe('x');
    expect(unset).toEqual(['ALSO_MISSING']);
  });
  test('required messages are interpolated when the error is raised', () => {
    expect(() => run('${MISSING:?need ${FOO}}')).toThrow(
      'required variable MISSING is unset or empty: need first',
    );
  });
});

describe('in a stack file', () => {
  const svc = (body: string) => ({ 'compose.yaml': `services:\n  web:\n    image: x\n${body}` });
  test('`$(…)` and lone `$` survive in commands, healthchecks and dockerfile_inline', () => {
    const s = load(
      {
        'compose.yaml': [
          'services:',
          '  web:',
          '    build:',
          '      context: .',
          '      dockerfile_inline: |',
          '        FROM busybox',
          '        RUN echo $(date) > /built && echo $$HOME ${TAG}',
          '    command: sh -c "echo $(hostname) costs 5$ at ^start$"',
          '    healthcheck:',
          '      test: ["CMD-SHELL", "test $(cat /ok) = 1"]',
          '',
        ].join('\n'),
      },
      { env: { TAG: 'v1' } },
    );
    const web = s.services.web!;
    expect(web.build!.dockerfile_inline).toBe('FROM busybox\nRUN echo $(date) > /built && echo $HOME v1\n');
    expect(web.command).toEqual(['sh', '-c', 'echo $(hostname) costs 5$ at ^start$']);
    expect(web.healthcheck!.test).toEqual(['CMD-SHELL', 'test $(cat /ok) = 1']);
    expect(s.warnings).toEqual([]);
  });
  test('a used default with an unset variable warns once', () => {
    const s = load(svc('    environment:\n      A: "${NOPE:-${ALSO_NOPE}}"\n      B: "${ALSO_NOPE}"\n'));
    expect(s.services.web!.environment).toEqual({ A: '', B: '' });
    expect(s.warnings.filter((w) => w.includes('ALSO_NOPE'))).toEqual([
      'variable ALSO_NOPE is not set; using an empty string',
    ]);
    expect(s.warnings.some((w) => w.includes('variable NOPE '))).toBe(false);
  });
  test('a required variable in an unused default does not fail the load', () => {
    const s = load(svc('    environment:\n      A: "${SET:-${UNSET:?set it}}"\n'), { env: { SET: 'yes' } });
    expect(s.services.web!.environment.A).toBe('yes');
  });
  test('a broken `${` names the file and line', () => {
    expect(loadError(svc('    command: echo ${1}\n'))).toMatch(/^compose.yaml:4:14: .*invalid interpolation/);
  });
});

describe('COMPOSE_PROJECT_NAME is available to interpolation', () => {
  const file = {
    'compose.yaml':
      'services:\n  web:\n    image: x\n    container_name: ${COMPOSE_PROJECT_NAME}-web\n    environment:\n      P: $COMPOSE_PROJECT_NAME\n',
  };
  test('from the directory name', () => {
    const s = load(file);
    expect(s.services.web!.container_name).toBe('proj-web');
    expect(s.services.web!.environment.P).toBe('proj');
  });
  test('from name:, -p, and the shell (the project name, whichever decided it)', () => {
    const named = { 'compose.yaml': `name: shop\n${file['compose.yaml']}` };
    expect(load(named).services.web!.environment.P).toBe('shop');
    expect(load(named, { projectName: 'cli' }).services.web!.environment.P).toBe('cli');
    expect(load(named, { env: { COMPOSE_PROJECT_NAME: 'fromenv' } }).services.web!.environment.P).toBe(
      'fromenv',
    );
  });
  test('`name:` may itself be interpolated; .env can set COMPOSE_PROJECT_NAME', () => {
    const s = load({ 'compose.yaml': `name: app-\${STAGE:-dev}\n${file['compose.yaml']}` });
    expect(s.name).toBe('app-dev');
    expect(s.services.web!.environment.P).toBe('app-dev');
    const e = load({ ...file, '.env': 'COMPOSE_PROJECT_NAME=dotenv\n' });
    expect(e.name).toBe('dotenv');
    expect(e.services.web!.environment.P).toBe('dotenv');
  });
  test('with a client, the client project', () => {
    const s = load({ ...file, 'clients/acme.env': 'X=1\n' }, { client: 'acme' });
    expect(s.services.web!.environment.P).toBe('proj-acme');
  });
});
