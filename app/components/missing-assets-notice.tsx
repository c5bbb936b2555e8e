import { Notice } from './notice';

/** What a lab page shows instead of a machine when the server lacks v86's files (see lib/server/emulator-assets.ts). */
export function MissingAssetsNotice({ missing }: { missing: string[] }) {
  return (
    <Notice title="The emulator files are missing">
      <p>
        The server has no {missing.join(', ')}. Run <code>npm run assets</code> (it copies v86&apos;s module and wasm from
        node_modules and the BIOS from Debian&apos;s <code>seabios</code> package), then reload.
      </p>
    </Notice>
  );
}
