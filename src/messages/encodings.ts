// sensor_msgs image encodings (sensor_msgs/image_encodings.hpp, Humble/Jazzy) and their bytes per
// pixel, so a validator can check `step` for any image a ROS 2 camera may send — not only the ones
// omniloop's encoder reads (src/encoders/image.ts narrows that list).

const BYTES_PER_PIXEL: Record<string, number> = {
  rgb8: 3,
  rgba8: 4,
  rgb16: 6,
  rgba16: 8,
  bgr8: 3,
  bgra8: 4,
  bgr16: 6,
  bgra16: 8,
  mono8: 1,
  mono16: 2,
  bayer_rggb8: 1,
  bayer_bggr8: 1,
  bayer_gbrg8: 1,
  bayer_grbg8: 1,
  bayer_rggb16: 2,
  bayer_bggr16: 2,
  bayer_gbrg16: 2,
  bayer_grbg16: 2,
  yuv422: 2,
  yuv422_yuy2: 2,
  uyvy: 2,
  yuyv: 2,
};

// The OpenCV-style generic types: 8UC1 … 64FC4.
for (const [depth, bytes] of [["8U", 1], ["8S", 1], ["16U", 2], ["16S", 2], ["32S", 4], ["32F", 4], ["64F", 8]] as const) {
  for (let c = 1; c <= 4; c++) BYTES_PER_PIXEL[`${depth}C${c}`] = bytes * c;
}

/** Bytes per pixel of a sensor_msgs encoding, or undefined for an unknown one. */
export function bytesPerPixel(encoding: string): number | undefined {
  return Object.hasOwn(BYTES_PER_PIXEL, encoding) ? BYTES_PER_PIXEL[encoding] : undefined;
}

/** Every encoding `bytesPerPixel` knows. */
export const KNOWN_IMAGE_ENCODINGS: readonly string[] = Object.keys(BYTES_PER_PIXEL);

/** A known encoding that differs only in case ("RGB8" → "rgb8"), to suggest as the fix. */
export function encodingHint(encoding: string): string | undefined {
  const lower = encoding.trim().toLowerCase();
  return KNOWN_IMAGE_ENCODINGS.find((e) => e.toLowerCase() === lower);
}
