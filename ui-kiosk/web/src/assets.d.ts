/** Style sheets imported for their effect: Vite emits them as a file linked from index.html. */
declare module '*.css';
