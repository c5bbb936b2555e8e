/** A problem with what the user asked `npm run image:add` to add; its message says what to do. */
export class AddImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddImageError';
  }
}
