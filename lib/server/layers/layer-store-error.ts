/** A refusal of the layer store, with the HTTP status that fits it and a message a person can act on. */
export type LayerRefusalStatus = 400 | 404 | 409 | 413;

export class LayerStoreError extends Error {
  constructor(
    readonly status: LayerRefusalStatus,
    message: string,
  ) {
    super(message);
    this.name = 'LayerStoreError';
  }
}
