// Op-table rows for @nabla/nn: the linear op behind Linear (y = x Wᵀ + b in one op), with and
// without a bias. The drawn shape [r, c] serves as x [r, c] and W [r, c] (r outputs of c inputs);
// the bias is a column of its drawn input, so it arrives as a strided view too.

import { linear } from "@nabla/nn";
import type { OpRow } from "./op-table";

export const nnRows: OpRow[] = [
  { name: "linear", arity: 3, sameShape: true, minRank: 2, maxRank: 2, call: ([x, w, b]) => linear(x!, w!, b!.select(1, 0)) },
  { name: "linear", arity: 2, sameShape: true, minRank: 2, maxRank: 2, call: ([x, w]) => linear(x!, w!) },
  // a 1-D input, reshaped to one row and back
  { name: "linear", covers: ["reshape"], arity: 2, sameShape: true, minRank: 2, maxRank: 2, call: ([x, w]) => linear(x!.select(0, 0), w!) },
];
