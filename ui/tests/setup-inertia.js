// Every test file that renders components mocks usePage() with the helpers' page, and Head
// (it needs the head manager of a running Inertia app); the rest of @inertiajs/vue3 (router,
// useForm, Link) is the real one, and tests spy on router.
import { vi } from 'vitest'

vi.mock('@inertiajs/vue3', async (importOriginal) => {
  const actual = await importOriginal()
  const { defineComponent } = await import('vue')
  const { page } = await import('./helpers.js')
  return {
    ...actual,
    usePage: () => page,
    Head: defineComponent({ name: 'InertiaHead', props: { title: String }, render: () => null }),
  }
})
