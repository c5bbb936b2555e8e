import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import Link from 'next/link';
import './globals.css';

export const metadata: Metadata = {
  title: 'Leaflab — Linux machines in your browser',
  description: 'Boot real x86 Linux in the browser on a copy-on-write disk: a shared root image over HTTP, your changes in your browser.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <Link href="/" className="brand">
            Leaflab
          </Link>
          <span className="tagline">real Linux machines in your browser</span>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
