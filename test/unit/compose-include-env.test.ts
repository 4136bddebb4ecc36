// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the files under test use Compose interpolation syntax
// `include: [{path, env_file}]` as compose-go does it: the included file (and the env files and secrets of
// its services) is interpolated with the include's variables; the shell and the including project's .env
// win over them; without `env_file` the included project's own .env is used.
import { describe, expect, test } from 'vitest';
import { load, loadError } from './compose-helpers.js';

describe('include env_file', () => {
  const files = {
    'compose.yaml': 'include:\n  - path: sub/compose.yaml\n    env_file: [values.env]\n',
    'values.env': 'VAR=from-include\nTAG=1.2\n',
    'sub/compose.yaml':
      'services:\n  app:\n    image: "busybox:${TAG}"\n    env_file: app.env\n    secrets: [token]\nsecrets:\n  token:\n    environment: VAR\n',
    'sub/app.env': 'MYVAR=${VAR?}\n',
  };

  test("interpolates the included file, its services' env files and secrets with the include's variables", () => {
    const stack = load(files);
    const app = stack.services.app!;
    expect(app.image).toBe('busybox:1.2');
    expect(app.environment.MYVAR).toBe('from-include');
  });

  test('the shell wins over the include', () => {
    const stack = load(files, { env: { VAR: 'from-shell' } });
    expect(stack.services.app!.environment.MYVAR).toBe('from-shell');
  });

  test("the including project's .env wins over the include", () => {
    const stack = load({ ...files, '.env': 'TAG=9\n' });
    expect(stack.services.app!.image).toBe('busybox:9');
  });

  test("without env_file, the included project's own .env", () => {
    const stack = load({
      'compose.yaml': 'include:\n  - sub/compose.yaml\n',
      'sub/compose.yaml': 'services:\n  app:\n    image: "busybox:${TAG}"\n',
      'sub/.env': 'TAG=from-sub-dotenv\n',
    });
    expect(stack.services.app!.image).toBe('busybox:from-sub-dotenv');
  });

  test("the variables stay with the include: the including file's own services do not see them", () => {
    const stack = load({
      ...files,
      'compose.yaml': `${files['compose.yaml']}services:\n  own:\n    image: "busybox:\${TAG:-none}"\n`,
    });
    expect(stack.services.own!.image).toBe('busybox:none');
    expect(stack.services.app!.image).toBe('busybox:1.2');
  });

  test('a missing env_file is an error at the include', () => {
    const msg = loadError({
      'compose.yaml': 'include:\n  - path: sub/compose.yaml\n    env_file: [nope.env]\n',
      'sub/compose.yaml': 'services:\n  app:\n    image: busybox\n',
    });
    expect(msg).toMatch(/compose\.yaml:3:\d+: .*nope\.env/);
  });
});
