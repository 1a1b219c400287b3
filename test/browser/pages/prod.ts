// Test page for prod.test.mjs: the lab's own connections to the training and ingestion workers
// and the core modules a run config is built from, exposed to the test (in a production build
// the page's modules have no paths a test could import).
import { getEngine } from '../../../src/ui/engineClient';
import { getIngestEngine } from '../../../src/ui/corpus/ingestClient';
import { defaultExperiment } from '../../../src/core/distill/experiment';
import { defaultRecipe } from '../../../src/core/distill/recipes';
import { generateWorld } from '../../../src/core/data/world';

Object.assign(window, { prodLab: { getEngine, getIngestEngine, defaultExperiment, defaultRecipe, generateWorld }, prodReady: true });
