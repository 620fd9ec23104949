// `npm run screenshots`: a PNG of every UI page on the test fixtures, written to screenshots/.
import { captureScreenshots } from '../test/ui/screenshots.js';

const files = await captureScreenshots();
console.log(`wrote ${files.length} screenshots to screenshots/`);
