// Who may import whom in src/ (ARCHITECTURE.md): each folder imports only folders below it in this list, so
// no two folders can import each other. Type-only imports count too: they couple the code as much.
const layers = [
  'cli',
  'memo',
  'tui',
  'ops',
  'stacks|logs',
  'executor|images',
  'plan|swarm',
  'engine',
  'compose',
  'graph',
  'model',
  'inputs',
];
const above = (i) => layers.slice(0, i).join('|');

module.exports = {
  forbidden: [
    ...layers.slice(1).map((layer, i) => ({
      name: `layer-${layer.replace('|', '-')}`,
      comment: `src/(${layer}) is below src/(${above(i + 1)}): it may not import them`,
      severity: 'error',
      from: { path: `^src/(${layer})/` },
      to: { path: `^src/(${above(i + 1)})/` },
    })),
    {
      name: 'same-layer-siblings',
      comment: 'folders on one layer do not import each other',
      severity: 'error',
      from: { path: '^src/(stacks|executor)/' },
      to: { path: '^src/(logs|images)/' },
    },
    {
      name: 'same-layer-siblings-back',
      severity: 'error',
      from: { path: '^src/(logs|images)/' },
      to: { path: '^src/(stacks|executor)/' },
    },
    {
      name: 'dockerode-only-in-engine',
      comment: 'Docker is known only below the engine port',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/engine/' },
      to: { path: 'node_modules/(dockerode|@types/dockerode|docker-modem)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
