/**
 * How far apart two colours look to people with normal vision and with each of the common
 * colour-vision deficiencies: sRGB simulated per Machado, Oliveira and Fernandes (2009),
 * severity 1, in linear RGB, then compared as CIE76 ΔE in CIELAB (D65). Coarse, but enough to
 * catch a palette change that makes two map colours look alike to some people.
 */
type Matrix = readonly [readonly [number, number, number], readonly [number, number, number], readonly [number, number, number]];

const DEFICIENCIES: Readonly<Record<'protanopia' | 'deuteranopia' | 'tritanopia', Matrix>> = {
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

type Rgb = readonly [number, number, number];

function linearRgb(hex: string): Rgb {
  const channel = (at: number) => {
    const value = parseInt(hex.slice(at, at + 2), 16) / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return [channel(1), channel(3), channel(5)];
}

function simulate(rgb: Rgb, matrix: Matrix | undefined): Rgb {
  if (!matrix) return rgb;
  const row = (r: readonly [number, number, number]) => Math.min(1, Math.max(0, r[0] * rgb[0] + r[1] * rgb[1] + r[2] * rgb[2]));
  return [row(matrix[0]), row(matrix[1]), row(matrix[2])];
}

function cielab([r, g, b]: Rgb): Rgb {
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** The smallest ΔE between two #rrggbb colours over normal vision and the three deficiencies. */
export function leastDeltaE(a: string, b: string): number {
  return Math.min(
    ...[undefined, ...Object.values(DEFICIENCIES)].map((matrix) => {
      const [l1, a1, b1] = cielab(simulate(linearRgb(a), matrix));
      const [l2, a2, b2] = cielab(simulate(linearRgb(b), matrix));
      return Math.hypot(l1 - l2, a1 - a2, b1 - b2);
    }),
  );
}
