// Installs every op method on Tensor (`x.add(y)` is `add(x, y)`). @nabla/tensor's entry imports
// this module; package.json lists these files in `sideEffects`, so bundlers keep them.
import "./movement";
import "./binary";
import "./unary";
import "./composite";
import "./compare";
import "./reduce";
import "./linalg";
import "./indexing";
import "./pad";
import "./inplace";
