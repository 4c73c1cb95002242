// `express4` is an npm alias of express@4; its API surface used here matches @types/express (v5).
declare module 'express4' {
  import express from 'express';
  export default express;
}
