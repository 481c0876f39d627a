/**
 * `:name` placeholders in the plain SQL the hot paths send (the pipelined booking, the prepared
 * reads); `::type` casts and words after a colon inside identifiers are left alone.
 */
export const NAMED_PLACEHOLDER = /(?<![:\w]):([A-Za-z_]\w*)/g;
