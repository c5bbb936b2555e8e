/** qcow2 v3 export (streamed overlay on the root image) and import (validated overlay reader). */
export { planQcow2Export, type Qcow2ExportPlan, type Qcow2ExportSource } from './export';
export type { SectorRun } from './export-layout';
export { Qcow2ImportError, type RandomAccessFile } from './import-error';
export type { Qcow2ImportExpectation } from './import-header';
export { openQcow2Overlay, type Qcow2Overlay } from './import';
export { overlayLeafBlocks } from './leaf-blocks';
