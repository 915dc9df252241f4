// Stands in for the Vite build until the frontend's dist replaces it.
document.getElementById('app').textContent = 'The desk\u2019s frontend has not been built.'
