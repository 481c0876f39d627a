import { catalog, DEFAULT_LOCALE } from './catalog';

/** Where a visit is, as a patient's text names it. */
export interface Place {
  name: string;
  address: string | null;
  phone: string | null;
  /** Named only where it tells something: the clinic has several places, or this one has an address. */
  named: boolean;
}

/** SQL columns giving a Place from `locations l`, and the video link from `appointments a`. */
export const PLACE_COLUMNS = `l.name AS location_name, l.address AS location_address, l.phone_e164 AS location_phone,
  (l.address IS NOT NULL OR (SELECT count(*) FROM locations WHERE active) > 1) AS location_named, a.video_url`;

export interface PlaceRecord {
  location_name: string | null;
  location_address: string | null;
  location_phone: string | null;
  location_named: boolean | null;
  video_url: string | null;
}

export function placeOf(r: PlaceRecord): Place | null {
  return r.location_name ? { name: r.location_name, address: r.location_address, phone: r.location_phone, named: Boolean(r.location_named) } : null;
}

/**
 * ' at Downtown, 12 Main St', ' by video: https://...', or nothing: appended to the time in
 * confirmations, reminders and notices. With `phone`, the place's number too (reminders), so a
 * patient running late knows whom to call.
 */
export function placeText(locale: string, place: Place | null, videoUrl: string | null, opts: { phone?: boolean; address?: boolean } = {}): string {
  const texts = catalog();
  const lang = texts.has(locale) ? locale : DEFAULT_LOCALE;
  if (videoUrl) return texts.t(lang, 'place.video', { url: videoUrl });
  if (!place?.named) return '';
  const at = place.address && opts.address !== false ? texts.t(lang, 'place.atAddress', { name: place.name, address: place.address }) : texts.t(lang, 'place.at', { name: place.name });
  return opts.phone && place.phone ? `${at}${texts.t(lang, 'place.phone', { phone: place.phone })}` : at;
}
