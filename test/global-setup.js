// The construct deploys the bundled handler: bundle it once before the tests (it takes well under
// a second), so that construct tests always see the current handler code.
module.exports = async () => {
  require('../scripts/bundle-handler.js');
};
