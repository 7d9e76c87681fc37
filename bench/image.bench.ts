// The image's size (report only; no budget): the Containerfile built as `npm run
// test:image` builds it (test/support/image.ts; its base and buildah's layer cache make
// this quick once that suite has run on the machine).
//   image_mib   the built image's size, MiB
// Without buildah, podman, runc or mmdebstrap the figure is not reported and the reason
// is printed — except under CI=true, where that is an error.
import { defineBench } from './harness.ts';
import { imageMiB, imageToolsMissing } from '../test/support/image.ts';
import { IN_CI } from '../test/support/env.ts';

export default defineBench({
  name: 'image',
  async run(ctx): Promise<Record<string, number>> {
    const missing = imageToolsMissing();
    if (missing.length > 0) {
      const why = `image_mib not measured: ${missing.join(', ')} not installed`;
      if (IN_CI) throw new Error(why);
      console.log(`image        ${why}`);
      return {};
    }
    return { image_mib: await imageMiB((m) => ctx.progress(m)) };
  },
});
