/**
 * Next.js configuration.
 * v86 is not bundled: the browser loads node_modules/v86/build/libv86.mjs as it is, copied to
 * public/v86/ (see lib/lab/load-v86.ts for why).
 */
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // `next dev` refuses dev resources to origins it does not know; tests use 127.0.0.1.
  allowedDevOrigins: ['127.0.0.1', 'localhost'],
  async headers() {
    return [
      {
        // Copied from node_modules/v86 and Debian's seabios at build time (scripts/copy-assets.mjs);
        // not content-addressed, so revalidated.
        source: '/v86/:file*',
        headers: [{ key: 'Cache-Control', value: 'public, max-age=0, must-revalidate' }],
      },
    ];
  },
};

export default nextConfig;
