/** Downloads a whole file, reporting bytes as they arrive; errors name the URL and the status. */
export async function fetchWithProgress(
  url: string,
  onProgress: (loadedBytes: number, totalBytes: number | undefined) => void,
  signal?: AbortSignal,
): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (error) {
    throw new Error(`Could not download ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    throw new Error(
      `Could not download ${url}: the server answered ${response.status} ${response.statusText}` +
        (response.status === 404 ? ' (run `npm run assets` on the server to copy the v86 wasm and BIOS)' : ''),
    );
  }
  const announced = Number(response.headers.get('Content-Length'));
  const totalBytes = Number.isFinite(announced) && announced > 0 ? announced : undefined;
  if (!response.body) return response.arrayBuffer();

  const parts: Uint8Array[] = [];
  let loadedBytes = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loadedBytes += value.byteLength;
    onProgress(loadedBytes, totalBytes);
  }
  const whole = new Uint8Array(loadedBytes);
  let offsetBytes = 0;
  for (const part of parts) {
    whole.set(part, offsetBytes);
    offsetBytes += part.byteLength;
  }
  return whole.buffer;
}
