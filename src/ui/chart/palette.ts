// Series colours: CSS variables defined in styles.css for light and dark (a colour-blind-safe
// palette after Okabe and Ito), so charts follow the page's colour scheme.

export const SERIES_COLORS = ['var(--c1)', 'var(--c2)', 'var(--c3)', 'var(--c4)', 'var(--c5)', 'var(--c6)', 'var(--c7)', 'var(--c8)'];

export const seriesColor = (i: number): string => SERIES_COLORS[((i % SERIES_COLORS.length) + SERIES_COLORS.length) % SERIES_COLORS.length];

/** Teacher and student keep one colour each in every view. */
export const ROLE_COLOR = { teacher: 'var(--teacher)', student: 'var(--student)' } as const;
